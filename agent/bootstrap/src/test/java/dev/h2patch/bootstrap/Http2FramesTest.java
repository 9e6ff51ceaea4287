package dev.h2patch.bootstrap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The wire facts the Netty advice no longer spells out itself (RFC 9113 §3.4, §4.1, §6.5). */
class Http2FramesTest {

    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

    /** The three big-endian longs an advice reads from {@code bytes} at {@code at}, as ByteBuf.getLong does. */
    private static boolean isPrefaceAt(byte[] bytes, int at) {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        return Http2Frames.isClientPreface(buffer.getLong(at), buffer.getLong(at + 8), buffer.getLong(at + 16));
    }

    @Test
    void theClientPrefaceIsRecognisedFromItsThreeLongs() {
        assertEquals(24, PREFACE.length);
        assertEquals(Http2Frames.PREFACE_LENGTH, PREFACE.length);
        assertTrue(isPrefaceAt(PREFACE, 0));
        assertEquals(Http2Frames.PREFACE_HEAD, ByteBuffer.wrap(PREFACE).getInt(0), "\"PRI \"");

        byte[] later = new byte[40];
        System.arraycopy(PREFACE, 0, later, 7, PREFACE.length);
        assertTrue(isPrefaceAt(later, 7), "wherever the read starts");
        assertFalse(isPrefaceAt(later, 6));
    }

    @Test
    void anyOtherByteIsNotThePreface() {
        for (int i = 0; i < PREFACE.length; i++) {
            byte[] changed = PREFACE.clone();
            changed[i] ^= 0x20;
            assertFalse(isPrefaceAt(changed, 0), "byte " + i + " changed");
        }
        byte[] http1 = "PRI * HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertFalse(isPrefaceAt(http1, 0));
    }

    @Test
    void theEmptySettingsFrameIsTypeFourWithNothingElseAndFreshEachTime() {
        byte[] frame = Http2Frames.emptySettingsFrame();
        assertArrayEquals(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0}, frame);
        assertEquals(Http2Frames.FRAME_HEADER_LENGTH, frame.length);
        frame[3] = 9;
        byte[] again = Http2Frames.emptySettingsFrame();
        assertNotSame(frame, again);
        assertEquals(4, again[3], "a caller's change never reaches the next frame");
    }

    @Test
    void onlyAnEmptyUnpaddedEndStreamDataCanBeFolded() {
        assertTrue(Http2Frames.isEmptyEndOfStream(true, 0, 0));
        assertFalse(Http2Frames.isEmptyEndOfStream(false, 0, 0), "no END_STREAM");
        assertFalse(Http2Frames.isEmptyEndOfStream(true, 1, 0), "padded");
        assertFalse(Http2Frames.isEmptyEndOfStream(true, 0, 1), "carries a byte");
    }

    @Test
    void bareHeadersOfTheStreamWithItsWholeBlock() {
        int stream = 5;
        int block = 37;
        assertTrue(Http2Frames.isBareHeadersOf(stream, block, block, 0x1, 0x4, stream));
        assertTrue(Http2Frames.isBareHeadersOf(stream, block, block, 0x1, 0x4, stream | 0x80000000),
                "the reserved bit is not part of the stream id");
        assertFalse(Http2Frames.isBareHeadersOf(stream, block, block + 1, 0x1, 0x4, stream), "block not all there");
        assertFalse(Http2Frames.isBareHeadersOf(stream, block, block, 0x0, 0x4, stream), "DATA");
        assertFalse(Http2Frames.isBareHeadersOf(stream, block, block, 0x9, 0x4, stream), "CONTINUATION");
        assertFalse(Http2Frames.isBareHeadersOf(stream, block, block, 0x1, 0x5, stream), "already END_STREAM");
        assertFalse(Http2Frames.isBareHeadersOf(stream, block, block, 0x1, 0x0, stream), "CONTINUATION to come");
        assertFalse(Http2Frames.isBareHeadersOf(stream, block, block, 0x1, 0x4 | 0x8, stream), "PADDED");
        assertFalse(Http2Frames.isBareHeadersOf(stream, block, block, 0x1, 0x4 | 0x20, stream), "PRIORITY");
        assertFalse(Http2Frames.isBareHeadersOf(stream, block, block, 0x1, 0x4, 7), "another stream");
        assertEquals(0x5, Http2Frames.END_HEADERS_AND_STREAM);
        assertEquals(4, Http2Frames.FLAGS_OFFSET);
    }

    @Test
    void thePrefaceIsRecognisedOnlyWholeFromTheBuffersPosition() {
        byte[] preface = PREFACE.clone();
        assertTrue(Http2Frames.startsWithClientPreface(ByteBuffer.wrap(preface)));
        byte[] shifted = new byte[preface.length + 3];
        System.arraycopy(preface, 0, shifted, 3, preface.length);
        ByteBuffer at3 = ByteBuffer.wrap(shifted);
        at3.position(3);
        assertTrue(Http2Frames.startsWithClientPreface(at3));
        assertEquals(3, at3.position(), "the buffer is only read, never moved");
        assertFalse(Http2Frames.startsWithClientPreface(ByteBuffer.wrap(Arrays.copyOf(preface, 23))));
        assertFalse(Http2Frames.startsWithClientPreface(ByteBuffer.wrap(
                "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII))));
        assertFalse(Http2Frames.startsWithClientPreface(null));
        ByteBuffer littleEndian = ByteBuffer.wrap(preface).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        assertTrue(Http2Frames.startsWithClientPreface(littleEndian), "byte order does not matter");
    }
}
