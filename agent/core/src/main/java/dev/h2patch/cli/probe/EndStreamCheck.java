package dev.h2patch.cli.probe;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * end-stream (docs/bugs.md#end-stream): a gRPC call (made twice) the server answers with an error — an unknown method gives
 * UNIMPLEMENTED on any gRPC server, {@code --grpc-method} picks another. Its grpc-status must come on a HEADERS
 * frame with END_STREAM (gRPC over HTTP/2); HEADERS without END_STREAM and then an empty DATA(END_STREAM) is the bug:
 * valid HTTP/2 (RFC 9113 §8.1), but gRPC clients lose the status. A plain GET of {@code --path} is shown beside it:
 * for a non-gRPC response that same shape is harmless.
 */
final class EndStreamCheck {
    static final String NAME = "end-stream";

    private EndStreamCheck() {
    }

    /**
     * The gRPC call is made twice: whether END_STREAM reaches the client on the HEADERS can depend on timing (a
     * proxy that reads both frames at once may merge them; golang/go#56317), and one more request halves the chance
     * of missing it.
     */
    static final int GRPC_CALLS = 2;

    /** Runs on a connection whose preface is sent: the gRPC calls, then the GET. */
    static Verdict run(H2Connection c, ProbeOptions o) throws IOException {
        List<Integer> calls = new ArrayList<Integer>();
        for (int i = 0; i < GRPC_CALLS && c.closedReason() == null; i++) {
            int grpc = c.request(Requests.grpc(o, o.grpcMethod), false);
            c.data(grpc, Requests.grpcMessage(0), true);
            c.await(Requests.streamEnd(grpc), 0, H2Connection.deadline(o.timeoutMs));
            calls.add(grpc);
        }
        int get = -1;
        if (c.closedReason() == null) {
            get = c.request(Requests.get(o, o.path), true);
            c.await(Requests.streamEnd(get), 0, H2Connection.deadline(o.timeoutMs));
        }
        List<Frame> frames = c.frames();
        List<List<Frame>> answers = new ArrayList<List<Frame>>();
        for (int id : calls) {
            answers.add(H2Connection.received(frames, id));
        }
        return judgeCalls(answers, o.grpcMethod, get < 0 ? null : H2Connection.received(frames, get), o.path,
                o.timeoutMs);
    }

    /** Several calls: BUG if any showed the bug (saying in how many), else the first call's verdict. */
    static Verdict judgeCalls(List<List<Frame>> calls, String method, List<Frame> get, String path, long timeoutMs) {
        Verdict first = null;
        Verdict bug = null;
        int bugs = 0;
        for (List<Frame> call : calls) {
            Verdict v = judge(call, method, first == null ? get : null, path, timeoutMs);
            first = first == null ? v : first;
            if (v.isBug()) {
                bugs++;
                bug = bug == null ? judge(call, method, get, path, timeoutMs) : bug;
            }
        }
        if (bug != null && bugs < calls.size()) {
            return Verdict.bug(NAME, bug.saw + " (in " + bugs + " of " + calls.size() + " identical calls: the other"
                    + " ended on its HEADERS; timing decides, e.g. a proxy merging the two frames)");
        }
        return bug != null ? bug : first;
    }

    /** The verdict from the server's frames on the gRPC stream and on the GET stream (null: not sent). */
    static Verdict judge(List<Frame> grpc, String method, List<Frame> get, String path, long timeoutMs) {
        String plain = get == null ? "" : "; GET " + path + ": " + Requests.shape(get)
                + (emptyDataEnd(get) ? " (valid HTTP/2; harmless unless the response is gRPC)" : "");
        String seen = method + ": " + Requests.shape(grpc);
        Frame status = null;
        for (Frame f : grpc) {
            if (f.is(Frame.HEADERS) && f.header("grpc-status") != null) {
                status = f;
                break;
            }
        }
        if (status == null) {
            boolean ended = !grpc.isEmpty() && (grpc.get(grpc.size() - 1).endStream()
                    || grpc.get(grpc.size() - 1).is(Frame.RST_STREAM));
            return Verdict.unknown(NAME, (grpc.isEmpty() ? method + ": no answer within " + timeoutMs + " ms"
                    : seen + (ended ? "" : " (not ended within " + timeoutMs + " ms)"))
                    + ": no grpc-status, not a gRPC answer; pass --grpc-method with a method this server answers"
                    + " with a gRPC error" + plain);
        }
        if (status.endStream()) {
            return Verdict.ok(NAME, seen + ": grpc-status on HEADERS with END_STREAM" + plain);
        }
        int at = grpc.indexOf(status);
        for (Frame f : grpc.subList(at + 1, grpc.size())) {
            if (f.is(Frame.DATA) && f.endStream() && f.length() == 0) {
                return Verdict.bug(NAME, seen + ": grpc-status on HEADERS without END_STREAM, then an empty"
                        + " DATA(END_STREAM): gRPC clients report INTERNAL (\"server closed the stream without sending"
                        + " trailers\") instead of grpc-status " + status.header("grpc-status") + plain);
            }
            if (f.is(Frame.HEADERS) && f.endStream() && f.header("grpc-status") != null) {
                return Verdict.ok(NAME, seen + ": trailers with grpc-status and END_STREAM" + plain);
            }
        }
        return Verdict.unknown(NAME, seen + ": grpc-status on HEADERS without END_STREAM, and the stream did not"
                + " end with an empty DATA(END_STREAM) within " + timeoutMs + " ms" + plain);
    }

    private static boolean emptyDataEnd(List<Frame> frames) {
        Frame last = frames.isEmpty() ? null : frames.get(frames.size() - 1);
        return last != null && last.is(Frame.DATA) && last.endStream() && last.length() == 0 && frames.size() > 1
                && frames.get(frames.size() - 2).is(Frame.HEADERS);
    }
}
