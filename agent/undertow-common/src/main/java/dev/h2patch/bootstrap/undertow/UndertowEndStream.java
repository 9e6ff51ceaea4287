package dev.h2patch.bootstrap.undertow;

import dev.h2patch.bootstrap.EndedStreams;
import dev.h2patch.bootstrap.GrpcShape;

/**
 * The decisions of the Undertow end-stream advice (docs/fixes/end-stream.md, "Undertow"): whether an empty flush of a
 * response stream is the commit of a gRPC Trailers-Only answer, which Undertow is then to end at once (one HEADERS with
 * END_STREAM) instead of sending the HEADERS now and an empty DATA(END_STREAM) when the exchange ends.
 *
 * <p>The advice is inlined into Undertow's {@code AbstractFramedStreamSinkChannel.flush()}; it reads the channel's
 * {@code state} bits and its unsent {@code writeBuffer}, and the stream's header map, asks here, and when told to
 * calls the channel's own {@code shutdownWrites()}: the path Undertow takes for a response closed before anything was
 * flushed, which sends one HEADERS with END_STREAM.
 */
public final class UndertowEndStream {

    /** {@code AbstractFramedStreamSinkChannel.STATE_CLOSED} (the same value on 2.2.41, 2.3.27, 2.4.4). */
    public static final int STATE_CLOSED = 1;
    /** {@code AbstractFramedStreamSinkChannel.STATE_WRITES_SHUTDOWN}: the application already ended the response. */
    public static final int STATE_WRITES_SHUTDOWN = 1 << 1;
    /**
     * {@code AbstractFramedStreamSinkChannel.STATE_FIRST_DATA_WRITTEN}: set whenever a frame of the channel was queued
     * ({@code handleBufferFull}, {@code queueFinalFrame}); while it is clear, the HEADERS have not left.
     */
    public static final int STATE_FIRST_DATA_WRITTEN = 1 << 2;

    private UndertowEndStream() {
    }

    /**
     * The cheap tests, before the headers are looked at: nothing of the stream was queued yet (so its HEADERS are
     * still to be sent), the channel is neither closed nor shut down for writes, and the application wrote no byte
     * ({@code bufferedBytes}: what its unsent write buffer holds). A flush then would send the HEADERS alone.
     */
    public static boolean mayFold(int state, int bufferedBytes) {
        return (state & (STATE_CLOSED | STATE_WRITES_SHUTDOWN | STATE_FIRST_DATA_WRITTEN)) == 0 && bufferedBytes == 0;
    }

    /**
     * After {@link #mayFold}: whether the stream is ended now. Only a response ({@code status}: the {@code :status}
     * pseudo-header, null on a request the channel sends as a client) with a final status, whose headers carry
     * {@code grpc-status} and a gRPC content type ({@link GrpcShape#endsResponse}): a gRPC response whose HEADERS carry
     * its status is over by the gRPC protocol's own definition. A non-gRPC response flushed empty keeps Undertow's
     * frames (HEADERS now, DATA(0, END_STREAM) later: valid HTTP/2, and the flush is what the application asked for).
     * Counted: {@code end-stream.folded}, or in report mode {@code end-stream.would-fold} and false.
     */
    public static boolean fold(String status, String grpcStatus, String contentType) {
        if (status == null || status.isEmpty()) {
            return false;
        }
        return GrpcShape.endsResponse(GrpcShape.isInformational(status), grpcStatus, contentType)
                && EndedStreams.fold();
    }
}
