package dev.h2patch.cli.probe;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedList;
import java.util.List;

/**
 * A complete HPACK decoder (RFC 7541): indexed fields, literals with and without indexing and never indexed, the
 * dynamic table with its size updates and evictions (§4), and Huffman-coded strings (§5.2, Appendix B), which is what
 * servers send. One instance per connection: the dynamic table is the connection's.
 */
final class HpackDecoder {

    /** A header block that does not decode: a COMPRESSION_ERROR for the connection (RFC 9113 §4.3). */
    static final class HpackException extends Exception {
        private static final long serialVersionUID = 1L;

        HpackException(String message) {
            super(message);
        }
    }

    /** The decoding tree of Appendix B: node i has children at CHILD[2i] (bit 0) and CHILD[2i+1]; leaves hold ~symbol. */
    private static final int[] CHILD;

    static {
        int[] child = new int[2 * 512];
        int nodes = 1;
        for (int symbol = 0; symbol < HpackTables.HUFFMAN_CODES.length; symbol++) {
            int code = HpackTables.HUFFMAN_CODES[symbol];
            int length = HpackTables.HUFFMAN_LENGTHS[symbol];
            int node = 0;
            for (int bit = length - 1; bit >= 0; bit--) {
                int slot = 2 * node + ((code >>> bit) & 1);
                if (bit == 0) {
                    child[slot] = ~symbol;
                } else {
                    if (child[slot] == 0) {
                        child[slot] = nodes++;
                    }
                    node = child[slot];
                }
            }
        }
        CHILD = child;
    }

    /** Newest first, as the dynamic table is indexed (§2.3.3). */
    private final LinkedList<String[]> dynamic = new LinkedList<String[]>();
    private int size;
    private int maxSize;
    /** SETTINGS_HEADER_TABLE_SIZE the probe announced (the default, 4096): the bound for size updates (§6.3). */
    private final int settingsMaxSize;

    HpackDecoder(int settingsMaxSize) {
        this.settingsMaxSize = settingsMaxSize;
        this.maxSize = settingsMaxSize;
    }

    /** The dynamic table's current size in octets (§4.1), for tests. */
    int dynamicSize() {
        return size;
    }

    /** Entry {@code index} (1-based, static then dynamic), for tests. */
    String[] entry(int index) throws HpackException {
        return lookup(index);
    }

    /** Decodes one complete header block (HEADERS plus its CONTINUATIONs); each field as {name, value}. */
    List<String[]> decode(byte[] block) throws HpackException {
        List<String[]> fields = new ArrayList<String[]>();
        int[] pos = {0};
        boolean fieldSeen = false;
        while (pos[0] < block.length) {
            int b = block[pos[0]] & 0xff;
            if ((b & 0x80) != 0) { // §6.1 indexed
                int index = integer(block, pos, 7);
                if (index == 0) {
                    throw new HpackException("indexed field with index 0");
                }
                fields.add(lookup(index));
                fieldSeen = true;
            } else if ((b & 0x40) != 0) { // §6.2.1 literal with incremental indexing
                String[] field = literal(block, pos, 6);
                fields.add(field);
                add(field);
                fieldSeen = true;
            } else if ((b & 0x20) != 0) { // §6.3 dynamic table size update: only at the start of a block (§4.2)
                if (fieldSeen) {
                    throw new HpackException("dynamic table size update after a header field");
                }
                int newSize = integer(block, pos, 5);
                if (newSize > settingsMaxSize) {
                    throw new HpackException("dynamic table size update to " + newSize + " > " + settingsMaxSize);
                }
                maxSize = newSize;
                evict(0);
            } else { // §6.2.2 without indexing (0000), §6.2.3 never indexed (0001)
                fields.add(literal(block, pos, 4));
                fieldSeen = true;
            }
        }
        return fields;
    }

    private String[] literal(byte[] block, int[] pos, int prefix) throws HpackException {
        int index = integer(block, pos, prefix);
        String name = index == 0 ? string(block, pos) : lookup(index)[0];
        return new String[] {name, string(block, pos)};
    }

    private String[] lookup(int index) throws HpackException {
        if (index < HpackTables.STATIC.length) {
            return HpackTables.STATIC[index].clone();
        }
        int d = index - HpackTables.STATIC.length;
        if (d >= dynamic.size()) {
            throw new HpackException("index " + index + " beyond the tables (dynamic has " + dynamic.size() + ")");
        }
        return dynamic.get(d).clone();
    }

    private void add(String[] field) {
        int entrySize = entrySize(field);
        evict(entrySize);
        if (entrySize <= maxSize) { // §4.4: an entry larger than the table empties it and is not added
            dynamic.addFirst(field);
            size += entrySize;
        }
    }

    private void evict(int room) {
        while (!dynamic.isEmpty() && size + room > maxSize) {
            size -= entrySize(dynamic.removeLast());
        }
    }

    /** §4.1: name and value lengths in octets, plus 32. */
    private static int entrySize(String[] field) {
        return field[0].getBytes(StandardCharsets.ISO_8859_1).length
                + field[1].getBytes(StandardCharsets.ISO_8859_1).length + 32;
    }

    /** §5.1: an integer with an N-bit prefix. */
    static int integer(byte[] block, int[] pos, int prefix) throws HpackException {
        int max = (1 << prefix) - 1;
        int value = block[pos[0]++] & max;
        if (value < max) {
            return value;
        }
        int shift = 0;
        while (true) {
            if (pos[0] >= block.length) {
                throw new HpackException("integer runs past the end of the block");
            }
            int b = block[pos[0]++] & 0xff;
            if (shift > 21) {
                throw new HpackException("integer too large");
            }
            value += (b & 0x7f) << shift;
            shift += 7;
            if ((b & 0x80) == 0) {
                return value;
            }
        }
    }

    /** §5.2: a string literal, Huffman-coded if its H bit is set. Octets are kept as ISO-8859-1 characters. */
    private static String string(byte[] block, int[] pos) throws HpackException {
        if (pos[0] >= block.length) {
            throw new HpackException("string literal missing");
        }
        boolean huffman = (block[pos[0]] & 0x80) != 0;
        int length = integer(block, pos, 7);
        if (length > block.length - pos[0]) {
            throw new HpackException("string literal of " + length + " octets runs past the end of the block");
        }
        int start = pos[0];
        pos[0] += length;
        if (!huffman) {
            return new String(block, start, length, StandardCharsets.ISO_8859_1);
        }
        return new String(huffman(block, start, length), StandardCharsets.ISO_8859_1);
    }

    /** Appendix B decoding; padding must be fewer than 8 bits, all ones (§5.2), and EOS must not appear. */
    static byte[] huffman(byte[] data, int offset, int length) throws HpackException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(length * 8 / 5 + 1);
        int node = 0;
        int bitsSinceSymbol = 0;
        boolean allOnes = true;
        for (int i = offset; i < offset + length; i++) {
            int b = data[i] & 0xff;
            for (int bit = 7; bit >= 0; bit--) {
                int one = (b >>> bit) & 1;
                int next = CHILD[2 * node + one];
                bitsSinceSymbol++;
                allOnes &= one == 1;
                if (next < 0) {
                    int symbol = ~next;
                    if (symbol == 256) {
                        throw new HpackException("Huffman string contains EOS");
                    }
                    out.write(symbol);
                    node = 0;
                    bitsSinceSymbol = 0;
                    allOnes = true;
                } else if (next == 0) {
                    throw new HpackException("invalid Huffman code");
                } else {
                    node = next;
                }
            }
        }
        if (bitsSinceSymbol > 7 || !allOnes) {
            throw new HpackException("invalid Huffman padding");
        }
        return out.toByteArray();
    }
}
