package dev.h2patch.it;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.stream.Collectors;

/**
 * One HTTP/2 frame as the {@link FrameRecorder} received it from the server.
 *
 * @param typeCode the frame type byte (0 DATA, 1 HEADERS, ...)
 * @param flags the flags byte
 * @param streamId the stream identifier (0 for connection frames)
 * @param length the payload length as it was on the wire (padding included)
 * @param headers the decoded header block, in wire order, for HEADERS / PUSH_PROMISE / CONTINUATION. A block split
 *     over CONTINUATION frames is attached to the frame that completes it (the one with END_HEADERS); the others have
 *     an empty list
 * @param errorCode the error code of RST_STREAM and GOAWAY, -1 for other frames
 * @param nanos arrival time, nanoseconds since the recorder connected
 * @param payload the payload bytes (DATA: the data without padding; others: the raw payload)
 * @param detail what else {@link #describe()} prints for this type (settings, increment, last stream id, ...), or ""
 */
public record Frame(int typeCode, int flags, int streamId, int length, List<Header> headers, long errorCode,
        long nanos, byte[] payload, String detail) {

    public static final int DATA = 0x0;
    public static final int HEADERS = 0x1;
    public static final int PRIORITY = 0x2;
    public static final int RST_STREAM = 0x3;
    public static final int SETTINGS = 0x4;
    public static final int PUSH_PROMISE = 0x5;
    public static final int PING = 0x6;
    public static final int GOAWAY = 0x7;
    public static final int WINDOW_UPDATE = 0x8;
    public static final int CONTINUATION = 0x9;

    public static final int FLAG_END_STREAM = 0x1;
    public static final int FLAG_ACK = 0x1;
    public static final int FLAG_END_HEADERS = 0x4;
    public static final int FLAG_PADDED = 0x8;
    public static final int FLAG_PRIORITY = 0x20;

    private static final String[] TYPE_NAMES = {"DATA", "HEADERS", "PRIORITY", "RST_STREAM", "SETTINGS",
        "PUSH_PROMISE", "PING", "GOAWAY", "WINDOW_UPDATE", "CONTINUATION"};
    private static final String[] ERROR_NAMES = {"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR",
        "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL",
        "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"};

    /** One decoded header field. */
    public record Header(String name, String value) {
        @Override
        public String toString() {
            return name + "=" + value;
        }
    }

    public Frame {
        headers = List.copyOf(headers);
        payload = payload == null ? new byte[0] : payload;
        detail = detail == null ? "" : detail;
    }

    /** DATA, HEADERS, RST_STREAM, SETTINGS, WINDOW_UPDATE, GOAWAY, PING, ... or UNKNOWN(0xNN). */
    public String type() {
        return typeName(typeCode);
    }

    public static String typeName(int typeCode) {
        return typeCode >= 0 && typeCode < TYPE_NAMES.length
                ? TYPE_NAMES[typeCode] : String.format("UNKNOWN(0x%02x)", typeCode);
    }

    public static String errorName(long code) {
        return code >= 0 && code < ERROR_NAMES.length ? ERROR_NAMES[(int) code] : String.format("0x%x", code);
    }

    public boolean is(int type) {
        return typeCode == type;
    }

    /** END_STREAM on DATA or HEADERS. */
    public boolean endStream() {
        return (typeCode == DATA || typeCode == HEADERS) && (flags & FLAG_END_STREAM) != 0;
    }

    /** END_HEADERS on HEADERS, PUSH_PROMISE or CONTINUATION. */
    public boolean endHeaders() {
        return (typeCode == HEADERS || typeCode == PUSH_PROMISE || typeCode == CONTINUATION)
                && (flags & FLAG_END_HEADERS) != 0;
    }

    /** ACK on SETTINGS or PING. */
    public boolean ack() {
        return (typeCode == SETTINGS || typeCode == PING) && (flags & FLAG_ACK) != 0;
    }

    /** The first value of header {@code name} in this frame's block, or null. */
    public String header(String name) {
        for (Header h : headers) {
            if (h.name().equalsIgnoreCase(name)) {
                return h.value();
            }
        }
        return null;
    }

    /** The header block as a map (first value wins), in wire order. */
    public Map<String, String> headerMap() {
        Map<String, String> m = new LinkedHashMap<>();
        for (Header h : headers) {
            m.putIfAbsent(h.name(), h.value());
        }
        return m;
    }

    /** The flags by name, joined with '|' (e.g. {@code END_STREAM|END_HEADERS}), or "" when none. */
    public String flagNames() {
        List<String> names = new ArrayList<>();
        int rest = flags;
        switch (typeCode) {
            case DATA:
            case HEADERS:
                if ((flags & FLAG_END_STREAM) != 0) {
                    names.add("END_STREAM");
                    rest &= ~FLAG_END_STREAM;
                }
                break;
            case SETTINGS:
            case PING:
                if ((flags & FLAG_ACK) != 0) {
                    names.add("ACK");
                    rest &= ~FLAG_ACK;
                }
                break;
            default:
                break;
        }
        if (typeCode == HEADERS || typeCode == PUSH_PROMISE || typeCode == CONTINUATION) {
            if ((flags & FLAG_END_HEADERS) != 0) {
                names.add("END_HEADERS");
                rest &= ~FLAG_END_HEADERS;
            }
        }
        if (typeCode == DATA || typeCode == HEADERS || typeCode == PUSH_PROMISE) {
            if ((flags & FLAG_PADDED) != 0) {
                names.add("PADDED");
                rest &= ~FLAG_PADDED;
            }
        }
        if (typeCode == HEADERS && (flags & FLAG_PRIORITY) != 0) {
            names.add("PRIORITY");
            rest &= ~FLAG_PRIORITY;
        }
        if (rest != 0) {
            names.add(String.format("0x%02x", rest));
        }
        return String.join("|", names);
    }

    /** The payload as UTF-8 text (for DATA frames). */
    public String text() {
        return new String(payload, StandardCharsets.UTF_8);
    }

    /**
     * One line, no timing, e.g. {@code HEADERS stream=1 flags=END_HEADERS len=40 {:status=200,
     * content-type=application/grpc, grpc-status=5}} or {@code DATA stream=1 flags=END_STREAM len=0}. Two frames with
     * the same description have the same type, flags, stream, length and headers.
     */
    public String describe() {
        StringBuilder sb = new StringBuilder(summary());
        if (!headers.isEmpty()) {
            StringJoiner j = new StringJoiner(", ", " {", "}");
            headers.forEach(h -> j.add(h.toString()));
            sb.append(j);
        }
        return sb.toString();
    }

    /** {@link #describe()} without the headers: {@code TYPE stream=N [flags=..] len=N [detail]}. */
    public String summary() {
        StringBuilder sb = new StringBuilder(type()).append(" stream=").append(streamId);
        String f = flagNames();
        if (!f.isEmpty()) {
            sb.append(" flags=").append(f);
        }
        sb.append(" len=").append(length);
        if (!detail.isEmpty()) {
            sb.append(' ').append(detail);
        }
        return sb.toString();
    }

    /** The summary, then one indented {@code name: value} line per header: for narrow columns. */
    public List<String> describeLines() {
        List<String> lines = new ArrayList<>();
        lines.add(summary());
        for (Header h : headers) {
            lines.add("    " + h.name() + ": " + h.value());
        }
        return lines;
    }

    /** {@link #describe()} plus the arrival time in milliseconds since connect. */
    public String describeTimed() {
        return String.format("%8.3f ms  %s", nanos / 1e6, describe());
    }

    @Override
    public String toString() {
        return describe();
    }

    /** One {@link #describe()} line per frame, or "(no frames)". */
    public static String describeAll(List<Frame> frames) {
        return frames.isEmpty() ? "(no frames)"
                : frames.stream().map(Frame::describe).collect(Collectors.joining("\n"));
    }

    /** The descriptions, for comparing two recordings frame by frame. */
    public static List<String> shapes(List<Frame> frames) {
        return frames.stream().map(Frame::describe).collect(Collectors.toList());
    }
}
