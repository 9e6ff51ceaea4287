package dev.h2patch.it.interop;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How each peer's output reads: the text a peer printed turned into the short cell the report shows. Pure functions
 * of that text, unit-tested on recorded output (PeerOutputTest); running the peers is {@link PeerClients}.
 */
final class PeerOutput {
    private PeerOutput() {}

    private static final Pattern GRPC_JS_STATUS = Pattern.compile("\"name\":\"([A-Z_]+)\",\"details\":\"([^\"]*)\"");

    /** test-apps/interop/node/grpc-js-client.js's JSON: {@code NOT_FOUND "no such thing"}, or the JSON itself. */
    static String grpcJs(String json) {
        Matcher m = GRPC_JS_STATUS.matcher(json);
        return m.find() ? m.group(1) + (m.group(2).isEmpty() ? "" : " \"" + m.group(2) + "\"") : json;
    }

    private static final Pattern NODE_UPLOAD = Pattern.compile("\"status\":(\\w+),\"grpcStatus\":\"?(\\w+)\"?,"
            + ".*\"rstCode\":(\\w+),\"closedMs\":(\\d+),\"error\":(.*)}");

    /** test-apps/interop/node/reject-upload.js's JSON: {@code :status 200, grpc-status 7, rst=0 after 12 ms}. */
    static String nodeUpload(String json) {
        Matcher m = NODE_UPLOAD.matcher(json);
        if (!m.find()) {
            return json;
        }
        return ":status " + m.group(1) + ", grpc-status " + m.group(2) + ", rst=" + m.group(3) + " after "
                + m.group(4) + " ms" + (m.group(5).equals("null") ? "" : ", error " + m.group(5));
    }

    private static final Pattern NGHTTP_FRAME = Pattern.compile(
            "recv (\\w+) frame <length=(\\d+), flags=0x(\\p{XDigit}+), stream_id=(\\d+)>(?:\\s*\\n[^\\n]*?error_code=(\\w+))?");

    /**
     * nghttp -v, the response frames on the request's stream, runs of DATA frames collapsed: e.g.
     * {@code HEADERS, DATA[0]+ES}, {@code HEADERS+ES, RST_STREAM(CANCEL)}; a GOAWAY on stream 0 as
     * {@code GOAWAY(conn)}.
     */
    static String nghttpFrames(String output, int exit) {
        List<String> frames = new ArrayList<>();
        Matcher m = NGHTTP_FRAME.matcher(output);
        while (m.find()) {
            if (m.group(4).equals("0")) {
                if (m.group(1).equals("GOAWAY")) {
                    frames.add("GOAWAY(conn)");
                }
                continue;
            }
            String type = m.group(1);
            int flags = Integer.parseInt(m.group(3), 16);
            String f = switch (type) {
                case "DATA" -> "DATA[" + m.group(2) + "]" + ((flags & 1) != 0 ? "+ES" : "");
                case "HEADERS" -> "HEADERS" + ((flags & 1) != 0 ? "+ES" : "");
                case "RST_STREAM" -> "RST_STREAM(" + m.group(5) + ")";
                default -> type;
            };
            if (!f.equals("WINDOW_UPDATE")) {
                frames.add(f);
            }
        }
        // Collapse runs of DATA frames: DATA×n.
        List<String> collapsed = new ArrayList<>();
        for (String f : frames) {
            int last = collapsed.size() - 1;
            if (last >= 0 && f.startsWith("DATA[") && !f.endsWith("ES") && collapsed.get(last).startsWith("DATA")
                    && !collapsed.get(last).endsWith("ES")) {
                collapsed.set(last, "DATA…");
            } else {
                collapsed.add(f);
            }
        }
        String s = collapsed.isEmpty() ? "no response frames" : String.join(", ", collapsed);
        return s + (exit == 0 ? "" : " (nghttp exit " + exit + ")");
    }

    // httplog: ... %CC %CS %tsc %ac/%fc/%bc/%sc/%rc ..., e.g. "- - SD-- 1/1/0/0/0 0/0"
    private static final Pattern HAPROXY_STATE = Pattern.compile(" ([A-Za-z-]{4}) \\d+/\\d+/\\d+/\\d+/\\+?\\d+ ");

    /** The session state (termination flags, e.g. {@code SD--}) of HAProxy's last log line, or null. */
    static String haproxyState(String log) {
        Matcher m = HAPROXY_STATE.matcher(log);
        String state = null;
        while (m.find()) {
            state = m.group(1);
        }
        return state;
    }

    private static final Pattern H2LOAD_REQUESTS = Pattern.compile("requests: .*?(\\d+) succeeded, (\\d+) failed");
    private static final Pattern H2LOAD_CODES = Pattern.compile(
            "status codes: (\\d+) 2xx, (\\d+) 3xx, (\\d+) 4xx, (\\d+) 5xx");

    /** h2load's summary: {@code 5 succeeded, 0 failed, 2xx=5 4xx=0 5xx=0}, or {@code : OUTPUT} when it has none. */
    static String h2loadCounts(String out) {
        Matcher m = H2LOAD_REQUESTS.matcher(out);
        Matcher codes = H2LOAD_CODES.matcher(out);
        return m.find() ? m.group(1) + " succeeded, " + m.group(2) + " failed"
                + (codes.find() ? ", 2xx=" + codes.group(1) + " 4xx=" + codes.group(3) + " 5xx=" + codes.group(4) : "")
                : ": " + out.strip();
    }
}
