package dev.h2patch.bootstrap;

import java.nio.ByteBuffer;

/**
 * What the fixes need to know about HTTP/2 bytes on the wire, for advice that reads them from a library's buffers
 * (plain values in: the buffer stays the advice's business).
 *
 * <ul>
 *   <li>The client connection preface (RFC 9113 §3.4): the 24 bytes {@code PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n} a client
 *       sends first; early-settings looks for them (docs/fixes/early-settings.md, "Only for a sniffer of this
 *       process").</li>
 *   <li>The empty SETTINGS frame (RFC 9113 §6.5: length 0, type 4, no flags, stream 0), a valid server preface that
 *       changes no setting: what early-settings sends for a port sniffer.</li>
 *   <li>The 9-byte frame header (RFC 9113 §4.1: length 24 bits, type, flags, R + stream id 31 bits), which end-stream
 *       reads to fold a DATA(END_STREAM) into the HEADERS frame still waiting unflushed in front of it
 *       (docs/fixes/end-stream.md, "Netty").</li>
 * </ul>
 */
public final class Http2Frames {

    /** Length of the client connection preface. */
    public static final int PREFACE_LENGTH = 24;

    /** The preface's first four bytes, {@code "PRI "}, as a big-endian int: the cheap first test. */
    public static final int PREFACE_HEAD = 0x50524920;

    /** The preface as three big-endian longs: {@code "PRI * HT"}, {@code "TP/2.0\r\n"}, {@code "\r\nSM\r\n\r\n"}. */
    private static final long PREFACE_0 = 0x505249202a204854L;
    private static final long PREFACE_1 = 0x54502f322e300d0aL;
    private static final long PREFACE_2 = 0x0d0a534d0d0a0d0aL;

    /** Length of a frame header. */
    public static final int FRAME_HEADER_LENGTH = 9;
    /** Offset of the flags byte in a frame header. */
    public static final int FLAGS_OFFSET = 4;

    static final int TYPE_HEADERS = 0x1;
    static final int FLAG_END_STREAM = 0x1;
    static final int FLAG_END_HEADERS = 0x4;

    /** The flags of a HEADERS frame that ends its stream and its header block: END_HEADERS | END_STREAM. */
    public static final int END_HEADERS_AND_STREAM = FLAG_END_HEADERS | FLAG_END_STREAM;

    private Http2Frames() {
    }

    /**
     * Whether 24 bytes, read as three big-endian longs from where a read starts, are the client connection preface.
     */
    public static boolean isClientPreface(long first, long second, long third) {
        return first == PREFACE_0 && second == PREFACE_1 && third == PREFACE_2;
    }

    /**
     * Whether the bytes from {@code buffer}'s position on start with the whole client preface, whatever the buffer's
     * byte order; the buffer is only read. For libraries that read into a {@link ByteBuffer} (Jetty).
     */
    public static boolean startsWithClientPreface(ByteBuffer buffer) {
        if (buffer == null) {
            return false;
        }
        int at = buffer.position();
        return buffer.limit() - at >= PREFACE_LENGTH
                && isClientPreface(bigEndianLong(buffer, at), bigEndianLong(buffer, at + 8),
                        bigEndianLong(buffer, at + 16));
    }

    private static long bigEndianLong(ByteBuffer buffer, int at) {
        long value = 0;
        for (int i = 0; i < 8; i++) {
            value = value << 8 | (buffer.get(at + i) & 0xff);
        }
        return value;
    }

    /** A new empty SETTINGS frame: length 0, type 4 (SETTINGS), flags 0, stream 0. */
    public static byte[] emptySettingsFrame() {
        return new byte[] {0, 0, 0, 0x4, 0, 0, 0, 0, 0};
    }

    /**
     * Whether a DATA frame is the empty end of its stream: END_STREAM, no padding, no payload. Only such a frame can
     * become a flag on the HEADERS before it without changing what the peer receives.
     */
    public static boolean isEmptyEndOfStream(boolean endStream, int padding, int payloadBytes) {
        return endStream && padding == 0 && payloadBytes == 0;
    }

    /**
     * Whether a frame header read from the wire ({@code length}, {@code type}, {@code flags} and the 32-bit word that
     * holds the stream id) is that of a HEADERS frame of {@code streamId} whose whole header block
     * ({@code blockLength} bytes) follows it, with END_HEADERS as its only flag: no END_STREAM yet, no PADDED, no
     * PRIORITY, no CONTINUATION to come. Setting END_STREAM on such a header changes nothing else in the frame.
     */
    public static boolean isBareHeadersOf(int streamId, int blockLength, int length, int type, int flags,
                                          int streamWord) {
        return length == blockLength && type == TYPE_HEADERS && flags == FLAG_END_HEADERS
                && (streamWord & 0x7FFFFFFF) == streamId;
    }
}
