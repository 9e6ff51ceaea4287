package dev.h2patch.bootstrap.jetty;

import dev.h2patch.bootstrap.EndedStreams;
import dev.h2patch.bootstrap.GrpcShape;
import java.nio.ByteBuffer;

/**
 * The decisions of the Jetty end-stream advice, for every Jetty line (docs/fixes/end-stream.md, "Jetty"): whether the
 * commit of a response is a gRPC Trailers-Only answer that Jetty is to send as its last write (one HEADERS with
 * END_STREAM), and what becomes of a later write on a stream so ended. The advice (9.4 and 10/11
 * {@code HttpTransportOverHTTP2.send}, 12 {@code HttpStreamOverHTTP2.send}: three signatures) reads Jetty's response,
 * request and stream, asks here, and does what is decided: sets the send's "last" flag and marks the stream with
 * {@link EndedStreams#STREAM_ATTRIBUTE}, or completes a later write's callback without writing.
 */
public final class JettyEndStream {

    /** {@link #laterWrite}: the write is absorbed, its callback succeeded. */
    public static final Object ABSORBED = new Object();

    private JettyEndStream() {
    }

    /**
     * The cheap tests on a commit ({@code response != null}) before the headers are looked at: it may be folded only
     * when it is not the last write already ({@code last}), carries no content, is the first commit of the response
     * ({@code committed}: Jetty's own flag, before this send) and has a final status (a 1xx is informational, never
     * the end of a response).
     */
    public static boolean mayFold(boolean last, ByteBuffer content, boolean committed, int status) {
        return !last && (content == null || !content.hasRemaining()) && !committed && status >= 200;
    }

    /**
     * After {@link #mayFold}: whether the commit is folded (Jetty sends it as the last write; the advice sets the flag
     * and marks the stream before the send, since its callback may run the next write before the send returns).
     * Only a gRPC response ({@code grpc-status} present, gRPC content type) to a request that is not HEAD or CONNECT
     * ({@code method}; null where the line does not say, HEAD passed as {@code "HEAD"}): a non-gRPC HEADERS + empty
     * DATA(END_STREAM) is valid HTTP/2, and folding it would hold back headers the application asked to flush.
     * Counted: {@code end-stream.folded}, or in report mode {@code end-stream.would-fold} and false.
     */
    public static boolean fold(String method, String grpcStatus, String contentType) {
        if ("HEAD".equals(method) || "CONNECT".equals(method)) {
            return false;
        }
        // The status is final here (mayFold): not informational.
        return GrpcShape.endsResponse(false, grpcStatus, contentType) && EndedStreams.fold();
    }

    /**
     * A write after the commit ({@code response == null}). {@code ended} is the stream's
     * {@link EndedStreams#STREAM_ATTRIBUTE}, looked up by the advice only once the stream is closed or locally closed
     * (an END_STREAM went out, or it was reset), null otherwise. Returns null when Jetty writes it as usual; for a
     * stream this fix ended, the write is never written (nothing may follow END_STREAM, RFC 9113 §5.1) and its
     * callback is completed at once, exactly once, as {@link EndedStreams#afterEnd} decides: {@link #ABSORBED} (an
     * empty write: succeeded) or the {@link Throwable} to fail it with (a write with bytes: they are never lost
     * silently).
     */
    public static Object laterWrite(Object ended, int streamId, ByteBuffer content) {
        if (ended == null) {
            return null;
        }
        Throwable failure = EndedStreams.afterEnd(streamId, "DATA", content == null ? 0 : content.remaining(),
                "bytes");
        return failure != null ? failure : ABSORBED;
    }
}
