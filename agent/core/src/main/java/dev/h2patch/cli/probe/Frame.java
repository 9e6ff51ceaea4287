package dev.h2patch.cli.probe;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * One HTTP/2 frame (RFC 9113 §4.1) as the probe sent or saw it, with when (ms since the probe's connection opened) and,
 * for HEADERS, the decoded header fields (CONTINUATIONs merged).
 */
final class Frame {
    static final int DATA = 0x0;
    static final int HEADERS = 0x1;
    static final int PRIORITY = 0x2;
    static final int RST_STREAM = 0x3;
    static final int SETTINGS = 0x4;
    static final int PUSH_PROMISE = 0x5;
    static final int PING = 0x6;
    static final int GOAWAY = 0x7;
    static final int WINDOW_UPDATE = 0x8;
    static final int CONTINUATION = 0x9;

    static final int END_STREAM = 0x1;
    static final int ACK = 0x1;
    static final int END_HEADERS = 0x4;
    static final int PADDED = 0x8;
    static final int PRIORITY_FLAG = 0x20;

    private static final String[] TYPES = {"DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS", "PUSH_PROMISE",
            "PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"};
    private static final String[] ERRORS = {"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR",
            "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR",
            "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"};
    private static final String[] SETTING_NAMES = {null, "HEADER_TABLE_SIZE", "ENABLE_PUSH",
            "MAX_CONCURRENT_STREAMS", "INITIAL_WINDOW_SIZE", "MAX_FRAME_SIZE", "MAX_HEADER_LIST_SIZE"};

    /** True for a frame the probe wrote, false for one it read. */
    final boolean sent;
    /** Which of the probe's connections (1, 2, ...). */
    final int connection;
    final int type;
    final int flags;
    final int stream;
    final byte[] payload;
    final double millis;
    /** HEADERS only: the decoded fields, else null. */
    final List<String[]> headers;

    Frame(boolean sent, int connection, int type, int flags, int stream, byte[] payload, double millis,
            List<String[]> headers) {
        this.sent = sent;
        this.connection = connection;
        this.type = type;
        this.flags = flags;
        this.stream = stream;
        this.payload = payload;
        this.millis = millis;
        this.headers = headers;
    }

    /** A received frame, for tests and recorded sequences. */
    static Frame in(int type, int flags, int stream, byte[] payload, double millis, List<String[]> headers) {
        return new Frame(false, 1, type, flags, stream, payload, millis, headers);
    }

    boolean is(int t) {
        return type == t;
    }

    boolean has(int flag) {
        return (flags & flag) != 0;
    }

    boolean endStream() {
        return (type == DATA || type == HEADERS) && has(END_STREAM);
    }

    int length() {
        return payload.length;
    }

    /** The first value of header {@code name}, or null. */
    String header(String name) {
        if (headers != null) {
            for (String[] field : headers) {
                if (field[0].equalsIgnoreCase(name)) {
                    return field[1];
                }
            }
        }
        return null;
    }

    /** RST_STREAM's error code, GOAWAY's error code; -1 for other frames. */
    long errorCode() {
        if (type == RST_STREAM && payload.length >= 4) {
            return FrameCodec.uint32(payload, 0);
        }
        if (type == GOAWAY && payload.length >= 8) {
            return FrameCodec.uint32(payload, 4);
        }
        return -1;
    }

    /** GOAWAY's last-stream-id; -1 for other frames. */
    int lastStreamId() {
        return type == GOAWAY && payload.length >= 8 ? (int) (FrameCodec.uint32(payload, 0) & 0x7fffffffL) : -1;
    }

    static String typeName(int type) {
        return type >= 0 && type < TYPES.length ? TYPES[type] : "UNKNOWN(0x" + Integer.toHexString(type) + ")";
    }

    static String errorName(long code) {
        return code >= 0 && code < ERRORS.length ? ERRORS[(int) code] : "0x" + Long.toHexString(code);
    }

    /** One line, as nghttp -v would give it: type, stream, flags, what it carries. */
    String describe() {
        StringBuilder s = new StringBuilder(typeName(type));
        s.append(" stream=").append(stream);
        if (type == DATA) {
            s.append(" length=").append(payload.length);
        }
        StringBuilder f = new StringBuilder();
        if (type == SETTINGS || type == PING) {
            flag(f, has(ACK), "ACK");
        } else if (type == DATA || type == HEADERS) {
            flag(f, has(END_STREAM), "END_STREAM");
        }
        if (type == HEADERS || type == CONTINUATION || type == PUSH_PROMISE) {
            flag(f, has(END_HEADERS), "END_HEADERS");
        }
        if (f.length() > 0) {
            s.append(" flags=").append(f);
        }
        if (type == RST_STREAM) {
            s.append(" ").append(errorName(errorCode()));
        } else if (type == GOAWAY) {
            s.append(" last-stream-id=").append(lastStreamId()).append(" ").append(errorName(errorCode()));
            if (payload.length > 8) {
                s.append(" debug=\"").append(new String(payload, 8, payload.length - 8, StandardCharsets.ISO_8859_1))
                        .append('"');
            }
        } else if (type == WINDOW_UPDATE && payload.length >= 4) {
            s.append(" increment=").append(FrameCodec.uint32(payload, 0) & 0x7fffffffL);
        } else if (type == SETTINGS && !has(ACK)) {
            s.append(" [");
            for (int i = 0; i + 6 <= payload.length; i += 6) {
                int id = ((payload[i] & 0xff) << 8) | (payload[i + 1] & 0xff);
                String name = id > 0 && id < SETTING_NAMES.length ? SETTING_NAMES[id] : "0x" + Integer.toHexString(id);
                s.append(i == 0 ? "" : ", ").append(name).append('=').append(FrameCodec.uint32(payload, i + 2));
            }
            s.append(']');
        }
        if (headers != null) {
            for (String[] field : headers) {
                s.append("\n      ").append(field[0]).append(": ").append(field[1]);
            }
        }
        return s.toString();
    }

    private static void flag(StringBuilder f, boolean set, String name) {
        if (set) {
            f.append(f.length() == 0 ? "" : "|").append(name);
        }
    }

    @Override
    public String toString() {
        return describe();
    }
}
