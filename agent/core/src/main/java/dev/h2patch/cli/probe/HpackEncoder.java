package dev.h2patch.cli.probe;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The probe's HPACK encoder: every field as a literal without indexing, with a literal name and no Huffman
 * (RFC 7541 §6.2.2, §5.2). Valid HPACK that any decoder reads, and it leaves the server's dynamic table alone.
 */
final class HpackEncoder {

    private HpackEncoder() {
    }

    static byte[] encode(List<String[]> fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String[] field : fields) {
            out.write(0x00);
            string(field[0], out);
            string(field[1], out);
        }
        return out.toByteArray();
    }

    private static void string(String value, ByteArrayOutputStream out) {
        byte[] bytes = value.getBytes(StandardCharsets.ISO_8859_1);
        integer(bytes.length, 7, 0x00, out);
        out.write(bytes, 0, bytes.length);
    }

    /** §5.1: {@code value} with an N-bit prefix, the high bits of the first octet being {@code flags}. */
    static void integer(int value, int prefix, int flags, ByteArrayOutputStream out) {
        int max = (1 << prefix) - 1;
        if (value < max) {
            out.write(flags | value);
            return;
        }
        out.write(flags | max);
        value -= max;
        while (value >= 0x80) {
            out.write((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        out.write(value);
    }
}
