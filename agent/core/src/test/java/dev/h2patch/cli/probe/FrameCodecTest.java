package dev.h2patch.cli.probe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The frame layout (RFC 9113 §4.1) both ways, and what the reader refuses. */
class FrameCodecTest {

    @Test
    void writesTheNineOctetHeader() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        FrameCodec.write(out, Frame.RST_STREAM, 0, 3, FrameCodec.int32(8));
        assertEquals("000004030000000003" + "00000008", HexFormat.of().formatHex(out.toByteArray()));
        assertEquals("000000040100000000", HexFormat.of().formatHex(FrameCodec.encode(Frame.SETTINGS, Frame.ACK, 0,
                new byte[0])));
    }

    @Test
    void readsBackWhatItWrites() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] data = new byte[16384];
        data[16383] = 7;
        FrameCodec.write(out, Frame.DATA, Frame.END_STREAM, 0x7fffffff, data);
        FrameCodec.write(out, Frame.GOAWAY, 0, 0, FrameCodec.goaway(5, 2));
        ByteArrayInputStream in = new ByteArrayInputStream(out.toByteArray());
        FrameCodec.Raw d = FrameCodec.read(in, 16384);
        assertEquals(Frame.DATA, d.type);
        assertEquals(Frame.END_STREAM, d.flags);
        assertEquals(0x7fffffff, d.stream);
        assertArrayEquals(data, d.payload);
        FrameCodec.Raw g = FrameCodec.read(in, 16384);
        Frame goaway = Frame.in(g.type, g.flags, g.stream, g.payload, 0, null);
        assertEquals(5, goaway.lastStreamId());
        assertEquals(2, goaway.errorCode());
        assertEquals("GOAWAY stream=0 last-stream-id=5 INTERNAL_ERROR", goaway.describe());
        assertThrows(EOFException.class, () -> FrameCodec.read(in, 16384));
    }

    @Test
    void reservedBitIsIgnored() throws Exception {
        byte[] frame = HexFormat.of().parseHex("000000080080000001");
        assertEquals(1, FrameCodec.read(new ByteArrayInputStream(frame), 16384).stream);
    }

    @Test
    void refusesHttp1AndOversizedFrames() {
        byte[] http1 = "HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        FrameCodec.FrameException e = assertThrows(FrameCodec.FrameException.class,
                () -> FrameCodec.read(new ByteArrayInputStream(http1), 16384));
        assertTrue(e.getMessage().contains("HTTP/1.x"), e.getMessage());
        byte[] big = HexFormat.of().parseHex("004001000000000001");
        assertThrows(FrameCodec.FrameException.class, () -> FrameCodec.read(new ByteArrayInputStream(big), 16384));
        byte[] cut = HexFormat.of().parseHex("00000a000000000001aabb");
        assertThrows(EOFException.class, () -> FrameCodec.read(new ByteArrayInputStream(cut), 16384));
    }

    @Test
    void headerBlockWithoutPaddingAndPriority() throws Exception {
        // PADDED (pad 2) + PRIORITY (5 octets) around the block "82 84"
        byte[] payload = HexFormat.of().parseHex("02" + "8000000310" + "8284" + "0000");
        assertArrayEquals(HexFormat.of().parseHex("8284"),
                FrameCodec.headerBlock(Frame.PADDED | Frame.PRIORITY_FLAG | Frame.END_HEADERS, payload));
        assertThrows(FrameCodec.FrameException.class, () -> FrameCodec.headerBlock(Frame.PADDED,
                HexFormat.of().parseHex("05aa")));
    }

    @Test
    void settingsPayloadAndDescription() {
        byte[] p = FrameCodec.settings(3, 100, 4, 65535);
        assertEquals("000300000064000400" + "00ffff", HexFormat.of().formatHex(p));
        assertEquals("SETTINGS stream=0 [MAX_CONCURRENT_STREAMS=100, INITIAL_WINDOW_SIZE=65535]",
                Frame.in(Frame.SETTINGS, 0, 0, p, 0, null).describe());
    }
}
