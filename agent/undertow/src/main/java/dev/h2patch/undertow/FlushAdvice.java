package dev.h2patch.undertow;

import dev.h2patch.bootstrap.undertow.UndertowEndStream;
import io.undertow.connector.PooledByteBuffer;
import io.undertow.protocols.http2.Http2DataStreamSinkChannel;
import io.undertow.protocols.http2.Http2HeadersStreamSinkChannel;
import io.undertow.server.protocol.framed.AbstractFramedStreamSinkChannel;
import io.undertow.util.HeaderMap;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into Undertow's {@code AbstractFramedStreamSinkChannel.flush()} (the framed-protocol stream channel every
 * HTTP/2 response stream is; its subclass {@code Http2DataStreamSinkChannel.flush()} calls it last).
 *
 * <p>When the channel is an HTTP/2 HEADERS stream ({@code Http2HeadersStreamSinkChannel}: a server's response, or a
 * client's request) on which nothing was queued yet and nothing was written ({@link UndertowEndStream#mayFold}: the
 * {@code state} bits and the unsent {@code writeBuffer}), the flush is about to send the HEADERS alone. If they are
 * the headers of a gRPC response that carry its status ({@link UndertowEndStream#fold}: {@code :status} final,
 * {@code grpc-status}, gRPC content type), the response is over by the gRPC protocol's own definition, so the advice
 * calls the channel's own {@code shutdownWrites()} before the flush goes on: Undertow queues the final frame, and
 * {@code createFrameHeaderImpl()} sends one HEADERS with END_STREAM, the path of a response closed before anything
 * was flushed. The flush then completes as for any closed response; the exchange's end finds the channel already
 * shut down and sends nothing more. A later write with bytes fails in Undertow itself (the channel is closed, RFC
 * 9113 §5.1: nothing may follow END_STREAM); a later empty flush succeeds.
 *
 * <p>Every other flush — other framed protocols, streams already queued, responses with bytes, non-gRPC responses —
 * pays one {@code instanceof} (and, for HTTP/2 HEADERS streams, two field reads) and runs as written.
 */
public final class FlushAdvice {

    private FlushAdvice() {
    }

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void onEnter(@Advice.This Object self,
                        @Advice.FieldValue("state") int state,
                        @Advice.FieldValue("writeBuffer") Object writeBuffer) throws Exception {
        if (!(self instanceof Http2HeadersStreamSinkChannel)) {
            return;
        }
        int buffered = writeBuffer == null ? 0 : ((PooledByteBuffer) writeBuffer).getBuffer().position();
        if (!UndertowEndStream.mayFold(state, buffered)) {
            return;
        }
        HeaderMap headers = ((Http2DataStreamSinkChannel) self).getHeaders();
        if (UndertowEndStream.fold(headers.getFirst(":status"), headers.getFirst("grpc-status"),
                headers.getFirst("content-type"))) {
            ((AbstractFramedStreamSinkChannel<?, ?, ?>) self).shutdownWrites();
        }
    }
}
