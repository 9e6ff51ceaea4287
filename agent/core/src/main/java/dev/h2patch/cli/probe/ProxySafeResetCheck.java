package dev.h2patch.cli.probe;

import java.io.IOException;
import java.util.List;

/**
 * proxy-safe-reset (docs/bugs.md#proxy-safe-reset): a gRPC call whose body the probe keeps streaming, to a method
 * that answers before it reads it ({@code --upload-path}; else the {@code --grpc-method}, since an unknown method is
 * answered at once by a gRPC server). After the complete response the probe goes on sending DATA for a short, bounded
 * time, then ends its stream. A RST_STREAM after the complete response — any code, NO_ERROR included (RFC 9113 §8.1
 * allows it) — is what HAProxy turns into CANCEL for its clients.
 */
final class ProxySafeResetCheck {
    static final String NAME = "proxy-safe-reset";
    /** How long, and how much, the probe streams after the response: below h2patch's own bounds (2 s, 1 MiB). */
    static final long STREAM_MS = 1000;
    static final int STREAM_BYTES = 256 * 1024;
    static final long SETTLE_MS = 500;

    private ProxySafeResetCheck() {
    }

    /** Runs on a fresh connection of its own. */
    static Verdict run(H2Connection c, ProbeOptions o) throws IOException {
        c.sendPreface();
        c.await(EarlySettingsCheck.serverSettings(), 0, H2Connection.deadline(o.timeoutMs));
        String path = path(o);
        int id = c.request(Requests.grpc(o, path), false);
        c.data(id, Requests.grpcMessage(0), false);
        Frame end = c.await(Requests.streamEnd(id), 0, H2Connection.deadline(o.timeoutMs));
        long streamed = 0;
        double streamedMs = 0;
        if (end != null && end.endStream()) {
            double start = c.now();
            long until = H2Connection.deadline(Math.min(STREAM_MS, o.timeoutMs));
            byte[] chunk = Requests.grpcMessage(H2Connection.MAX_FRAME - 5);
            while (System.nanoTime() < until && streamed < STREAM_BYTES && c.closedReason() == null
                    && !resetSeen(c.frames(), id)) {
                byte[] piece = STREAM_BYTES - streamed >= chunk.length ? chunk
                        : java.util.Arrays.copyOf(chunk, (int) (STREAM_BYTES - streamed));
                int n = c.sendWithinWindow(id, piece, until);
                if (n == 0) {
                    break;
                }
                streamed += n;
            }
            streamedMs = c.now() - start;
            if (!resetSeen(c.frames(), id) && c.closedReason() == null) {
                c.data(id, new byte[0], true);
            }
            c.settle(H2Connection.deadline(Math.min(SETTLE_MS, o.timeoutMs)));
        } else if (end == null && c.closedReason() == null) {
            c.reset(id, 8);
        }
        return judge(H2Connection.received(c.frames(), id), path, streamed, streamedMs, o.timeoutMs);
    }

    static String path(ProbeOptions o) {
        return o.uploadPath != null ? o.uploadPath : o.grpcMethod;
    }

    private static boolean resetSeen(List<Frame> frames, int id) {
        for (Frame f : frames) {
            if (!f.sent && f.stream == id && f.is(Frame.RST_STREAM)) {
                return true;
            }
        }
        return false;
    }

    /** The verdict from the server's frames on the upload stream and what the probe sent after the response. */
    static Verdict judge(List<Frame> frames, String path, long streamedBytes, double streamedMs, long timeoutMs) {
        String seen = path + ": " + Requests.shape(frames);
        Frame end = null;
        Frame reset = null;
        for (Frame f : frames) {
            if (end == null && reset == null && f.endStream()) {
                end = f;
            }
            if (reset == null && f.is(Frame.RST_STREAM)) {
                reset = f;
            }
        }
        if (end == null && reset == null) {
            return Verdict.unknown(NAME, path + ": no answer within " + timeoutMs + " ms while the body was still"
                    + " open: this server reads the request first; pass --upload-path with a method that answers"
                    + " before reading (a client-streaming method that fails on its first message)");
        }
        if (end == null) {
            return Verdict.unknown(NAME, seen + ": reset without a complete response first, not the pattern this"
                    + " check looks for");
        }
        if (reset != null) {
            return Verdict.bug(NAME, seen + ": RST_STREAM(" + Frame.errorName(reset.errorCode()) + ") "
                    + Requests.ms(reset.millis - end.millis) + " after the complete response, while the client's"
                    + " request was still open; behind HAProxy clients get RST_STREAM(CANCEL) after the response"
                    + " (C-core gRPC clients then report CANCELLED)");
        }
        return Verdict.ok(NAME, seen + "; the client went on sending " + streamedBytes / 1024 + " KiB for "
                + Requests.ms(streamedMs) + ", then ended its stream: no RST_STREAM");
    }
}
