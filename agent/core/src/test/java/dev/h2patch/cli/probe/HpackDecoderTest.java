package dev.h2patch.cli.probe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The HPACK decoder against RFC 7541 Appendix C (C.3 plain, C.4 Huffman, C.5 evictions), and against Netty's encoder. */
class HpackDecoderTest {

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    private static List<String> fields(List<String[]> decoded) {
        List<String> out = new ArrayList<>();
        for (String[] f : decoded) {
            out.add(f[0] + ": " + f[1]);
        }
        return out;
    }

    @Test
    void tablesHaveTheirRfcSizes() {
        assertEquals(62, HpackTables.STATIC.length);
        assertEquals(257, HpackTables.HUFFMAN_CODES.length);
        assertEquals(257, HpackTables.HUFFMAN_LENGTHS.length);
        assertArrayEquals(new String[] {"www-authenticate", ""}, HpackTables.STATIC[61]);
    }

    /** C.3: requests without Huffman, one decoder for the three (the dynamic table carries over). */
    @Test
    void appendixC3() throws Exception {
        HpackDecoder d = new HpackDecoder(4096);
        assertEquals(List.of(":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com"),
                fields(d.decode(hex("8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d"))));
        assertEquals(57, d.dynamicSize());
        assertEquals(List.of(":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com",
                "cache-control: no-cache"), fields(d.decode(hex("8286 84be 5808 6e6f 2d63 6163 6865"))));
        assertEquals(110, d.dynamicSize());
        assertEquals(List.of(":method: GET", ":scheme: https", ":path: /index.html", ":authority: www.example.com",
                "custom-key: custom-value"), fields(d.decode(hex("8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573"
                + " 746f 6d2d 7661 6c75 65"))));
        assertEquals(164, d.dynamicSize());
        assertArrayEquals(new String[] {"custom-key", "custom-value"}, d.entry(62));
        assertArrayEquals(new String[] {"cache-control", "no-cache"}, d.entry(63));
        assertArrayEquals(new String[] {":authority", "www.example.com"}, d.entry(64));
    }

    /** C.4: the same requests, Huffman-coded. */
    @Test
    void appendixC4() throws Exception {
        HpackDecoder d = new HpackDecoder(4096);
        assertEquals(List.of(":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com"),
                fields(d.decode(hex("8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"))));
        assertEquals(57, d.dynamicSize());
        assertEquals(List.of(":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com",
                "cache-control: no-cache"), fields(d.decode(hex("8286 84be 5886 a8eb 1064 9cbf"))));
        assertEquals(110, d.dynamicSize());
        assertEquals(List.of(":method: GET", ":scheme: https", ":path: /index.html", ":authority: www.example.com",
                "custom-key: custom-value"), fields(d.decode(hex("8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b"
                + " b8e8 b4bf"))));
        assertEquals(164, d.dynamicSize());
    }

    /** C.5: responses with a 256-octet table: the second and third evict the oldest entries. */
    @Test
    void appendixC5Evictions() throws Exception {
        HpackDecoder d = new HpackDecoder(256);
        String date1 = "Mon, 21 Oct 2013 20:13:21 GMT";
        byte[] first = concat(hex("4803"), ascii("302"), hex("5807"), ascii("private"), hex("611d"), ascii(date1),
                hex("6e17"), ascii("https://www.example.com"));
        assertEquals(List.of(":status: 302", "cache-control: private", "date: " + date1,
                "location: https://www.example.com"), fields(d.decode(first)));
        assertEquals(222, d.dynamicSize());
        assertEquals(List.of(":status: 307", "cache-control: private", "date: " + date1,
                "location: https://www.example.com"), fields(d.decode(hex("4803 3330 37c1 c0bf"))));
        assertEquals(222, d.dynamicSize());
        assertArrayEquals(new String[] {":status", "307"}, d.entry(62));
        assertArrayEquals(new String[] {"location", "https://www.example.com"}, d.entry(63));
    }

    @Test
    void sizeUpdateAndErrors() throws Exception {
        HpackDecoder d = new HpackDecoder(4096);
        d.decode(hex("4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"));
        assertEquals(54, d.dynamicSize());
        d.decode(hex("20")); // size update to 0 empties the table
        assertEquals(0, d.dynamicSize());
        assertThrows(HpackDecoder.HpackException.class, () -> d.decode(hex("3fe21f"))); // update to 4097 > 4096
        assertThrows(HpackDecoder.HpackException.class, () -> d.decode(hex("80"))); // index 0
        assertThrows(HpackDecoder.HpackException.class, () -> d.decode(hex("be"))); // empty dynamic table
        // Huffman padding (RFC 7541 §5.2): "0" (00000) then 000, not ones; then 8 bits of ones, more than 7
        assertThrows(HpackDecoder.HpackException.class, () -> d.decode(hex("00 81 00 00")));
        assertThrows(HpackDecoder.HpackException.class, () -> d.decode(hex("00 81 ff 00")));
        assertEquals(List.of("0: "), fields(d.decode(hex("00 81 07 00")))); // "0" then 111: valid
        assertThrows(HpackDecoder.HpackException.class, () -> d.decode(hex("8220"))); // update after a field
    }

    /** Whatever Netty's encoder makes (Huffman, incremental indexing, evictions in a small table), decodes back. */
    @Test
    void decodesNettysEncoder() throws Exception {
        for (long tableSize : new long[] {4096, 100}) {
            DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder(Http2HeadersEncoder.NEVER_SENSITIVE,
                    true);
            encoder.configuration().maxHeaderTableSize(tableSize);
            HpackDecoder d = new HpackDecoder(4096);
            for (int round = 0; round < 5; round++) {
                Http2Headers h = new DefaultHttp2Headers().status("200")
                        .add("content-type", "application/grpc")
                        .add("grpc-status", String.valueOf(round))
                        .add("grpc-message", "message ~ number " + round + " \u00e9 {}")
                        .add("x-custom-" + round, "v".repeat(round * 20));
                ByteBuf buf = Unpooled.buffer();
                encoder.encodeHeaders(1, h, buf);
                byte[] block = new byte[buf.readableBytes()];
                buf.readBytes(block);
                buf.release();
                List<String> expected = new ArrayList<>();
                for (Map.Entry<CharSequence, CharSequence> e : h) {
                    expected.add(e.getKey() + ": " + new String(e.getValue().toString()
                            .getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.ISO_8859_1));
                }
                assertEquals(expected, fields(d.decode(block)), "table " + tableSize + " round " + round);
            }
        }
    }

    @Test
    void encoderRoundTrip() throws Exception {
        List<String[]> in = List.of(new String[] {":method", "POST"}, new String[] {":path", "/h2patch.Probe/Unknown"},
                new String[] {"x-long", "y".repeat(300)});
        assertEquals(fields(in), fields(new HpackDecoder(4096).decode(HpackEncoder.encode(in))));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        byte[] out = new byte[n];
        int at = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, at, p.length);
            at += p.length;
        }
        return out;
    }
}
