package dev.h2patch.cli.probe;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** The frame layout of RFC 9113 §4.1: a 9-octet header (length 24, type 8, flags 8, R + stream 31), then the payload. */
final class FrameCodec {

    /** The client connection preface (§3.4). */
    static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** A frame as read off the wire, before HPACK. */
    static final class Raw {
        final int type;
        final int flags;
        final int stream;
        final byte[] payload;

        Raw(int type, int flags, int stream, byte[] payload) {
            this.type = type;
            this.flags = flags;
            this.stream = stream;
            this.payload = payload;
        }
    }

    /** Not HTTP/2 (e.g. an HTTP/1.1 answer), or a frame larger than the probe allows. */
    static final class FrameException extends IOException {
        private static final long serialVersionUID = 1L;

        FrameException(String message) {
            super(message);
        }
    }

    private FrameCodec() {
    }

    static byte[] encode(int type, int flags, int stream, byte[] payload) {
        byte[] frame = new byte[9 + payload.length];
        frame[0] = (byte) (payload.length >>> 16);
        frame[1] = (byte) (payload.length >>> 8);
        frame[2] = (byte) payload.length;
        frame[3] = (byte) type;
        frame[4] = (byte) flags;
        putInt(frame, 5, stream & 0x7fffffff);
        System.arraycopy(payload, 0, frame, 9, payload.length);
        return frame;
    }

    static void write(OutputStream out, int type, int flags, int stream, byte[] payload) throws IOException {
        out.write(encode(type, flags, stream, payload));
    }

    /**
     * Reads one frame; {@code maxLength} is the SETTINGS_MAX_FRAME_SIZE the probe announced (§4.2). EOFException at a
     * clean end of stream before a frame starts.
     */
    static Raw read(InputStream in, int maxLength) throws IOException {
        byte[] header = new byte[9];
        int first = in.read();
        if (first < 0) {
            throw new EOFException("connection closed by the server");
        }
        header[0] = (byte) first;
        readFully(in, header, 1, 8);
        if (startsLikeHttp1(header)) {
            throw new FrameException("the server answered in HTTP/1.x, not HTTP/2: \""
                    + new String(header, java.nio.charset.StandardCharsets.ISO_8859_1).trim() + "...\"");
        }
        int length = ((header[0] & 0xff) << 16) | ((header[1] & 0xff) << 8) | (header[2] & 0xff);
        if (length > maxLength) {
            throw new FrameException("frame of " + length + " octets (type " + (header[3] & 0xff)
                    + ") larger than SETTINGS_MAX_FRAME_SIZE " + maxLength + ": not HTTP/2, or a broken server");
        }
        byte[] payload = new byte[length];
        readFully(in, payload, 0, length);
        return new Raw(header[3] & 0xff, header[4] & 0xff, (int) (uint32(header, 5) & 0x7fffffffL), payload);
    }

    private static boolean startsLikeHttp1(byte[] header) {
        return header[0] == 'H' && header[1] == 'T' && header[2] == 'T' && header[3] == 'P' && header[4] == '/';
    }

    private static void readFully(InputStream in, byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            int n = in.read(b, off, len);
            if (n < 0) {
                throw new EOFException("connection closed by the server in the middle of a frame");
            }
            off += n;
            len -= n;
        }
    }

    static long uint32(byte[] b, int at) {
        return ((b[at] & 0xffL) << 24) | ((b[at + 1] & 0xffL) << 16) | ((b[at + 2] & 0xffL) << 8) | (b[at + 3] & 0xffL);
    }

    static void putInt(byte[] b, int at, int value) {
        b[at] = (byte) (value >>> 24);
        b[at + 1] = (byte) (value >>> 16);
        b[at + 2] = (byte) (value >>> 8);
        b[at + 3] = (byte) value;
    }

    static byte[] int32(int value) {
        byte[] b = new byte[4];
        putInt(b, 0, value);
        return b;
    }

    /** SETTINGS payload from id/value pairs (§6.5.1). */
    static byte[] settings(int... idValue) {
        byte[] b = new byte[idValue.length / 2 * 6];
        for (int i = 0; i < idValue.length / 2; i++) {
            b[6 * i] = (byte) (idValue[2 * i] >>> 8);
            b[6 * i + 1] = (byte) idValue[2 * i];
            putInt(b, 6 * i + 2, idValue[2 * i + 1]);
        }
        return b;
    }

    /** GOAWAY payload (§6.8). */
    static byte[] goaway(int lastStreamId, int errorCode) {
        byte[] b = new byte[8];
        putInt(b, 0, lastStreamId);
        putInt(b, 4, errorCode);
        return b;
    }

    /** The header block fragment of a HEADERS frame: without padding and priority fields (§6.2). */
    static byte[] headerBlock(int flags, byte[] payload) throws FrameException {
        int start = 0;
        int end = payload.length;
        if ((flags & Frame.PADDED) != 0) {
            if (payload.length < 1) {
                throw new FrameException("PADDED HEADERS without a pad length");
            }
            end -= payload[0] & 0xff;
            start = 1;
        }
        if ((flags & Frame.PRIORITY_FLAG) != 0) {
            start += 5;
        }
        if (start > end) {
            throw new FrameException("HEADERS padding or priority longer than the frame");
        }
        byte[] block = new byte[end - start];
        System.arraycopy(payload, start, block, 0, block.length);
        return block;
    }
}
