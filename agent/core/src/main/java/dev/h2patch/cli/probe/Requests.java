package dev.h2patch.cli.probe;

import java.util.ArrayList;
import java.util.List;

/** The probe's few requests, and how it describes what came back. */
final class Requests {

    private Requests() {
    }

    /** A gRPC call (gRPC over HTTP/2, "Requests"): POST, content-type application/grpc, te: trailers. */
    static List<String[]> grpc(ProbeOptions o, String path) {
        List<String[]> h = base(o, "POST", path);
        h.add(new String[] {"content-type", "application/grpc"});
        h.add(new String[] {"te", "trailers"});
        return h;
    }

    static List<String[]> get(ProbeOptions o, String path) {
        return base(o, "GET", path);
    }

    private static List<String[]> base(ProbeOptions o, String method, String path) {
        List<String[]> h = new ArrayList<String[]>();
        h.add(new String[] {":method", method});
        h.add(new String[] {":scheme", o.scheme()});
        h.add(new String[] {":authority", o.authority});
        h.add(new String[] {":path", path});
        h.add(new String[] {"user-agent", "h2patch-probe"});
        return h;
    }

    /** A gRPC message: the 5-octet prefix (not compressed, length) and {@code length} zero octets. */
    static byte[] grpcMessage(int length) {
        byte[] m = new byte[5 + length];
        FrameCodec.putInt(m, 1, length);
        return m;
    }

    /** The server's frames on {@code stream} (HEADERS, DATA, RST_STREAM), short: HEADERS(:status 200, grpc-status 5) DATA(0, END_STREAM). */
    static String shape(List<Frame> frames) {
        List<String> parts = new ArrayList<String>();
        List<Integer> counts = new ArrayList<Integer>();
        for (Frame f : frames) {
            String part = part(f);
            if (part == null) {
                continue;
            }
            int last = parts.size() - 1;
            if (last >= 0 && parts.get(last).equals(part)) {
                counts.set(last, counts.get(last) + 1); // e.g. STREAM_CLOSED for each DATA already in flight
            } else {
                parts.add(part);
                counts.add(1);
            }
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < parts.size(); i++) {
            s.append(i == 0 ? "" : ", ").append(parts.get(i)).append(counts.get(i) > 1 ? " x" + counts.get(i) : "");
        }
        return s.length() == 0 ? "nothing" : s.toString();
    }

    private static String part(Frame f) {
        if (f.is(Frame.HEADERS)) {
            List<String> parts = new ArrayList<String>();
            for (String name : new String[] {":status", "content-type", "grpc-status"}) {
                if (f.header(name) != null) {
                    parts.add(name + " " + f.header(name));
                }
            }
            if (f.endStream()) {
                parts.add("END_STREAM");
            }
            return "HEADERS(" + join(parts) + ")";
        } else if (f.is(Frame.DATA)) {
            return "DATA(" + f.length() + (f.endStream() ? ", END_STREAM" : "") + ")";
        } else if (f.is(Frame.RST_STREAM)) {
            return "RST_STREAM(" + Frame.errorName(f.errorCode()) + ")";
        }
        return null;
    }

    static String join(List<String> parts) {
        StringBuilder s = new StringBuilder();
        for (String p : parts) {
            s.append(s.length() == 0 ? "" : ", ").append(p);
        }
        return s.toString();
    }

    /** A stream end: END_STREAM from the server or a reset. */
    static H2Connection.Match streamEnd(final int stream) {
        return new H2Connection.Match() {
            @Override
            public boolean test(Frame f) {
                return !f.sent && f.stream == stream && (f.endStream() || f.is(Frame.RST_STREAM));
            }
        };
    }

    static String ms(double millis) {
        return millis < 10 ? String.format(java.util.Locale.ROOT, "%.1f ms", millis)
                : String.format(java.util.Locale.ROOT, "%.0f ms", millis);
    }
}
