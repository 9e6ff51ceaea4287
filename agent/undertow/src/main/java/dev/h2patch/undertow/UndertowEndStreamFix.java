package dev.h2patch.undertow;

import dev.h2patch.FixNames;
import dev.h2patch.TypePatch;
import java.util.Collections;
import java.util.List;

/**
 * end-stream for Undertow 2.2, 2.3 and 2.4: a gRPC response must not end with HEADERS followed by an empty
 * DATA(END_STREAM) (docs/fixes/end-stream.md, "Undertow").
 *
 * <p>A handler that puts a gRPC Trailers-Only error in the response headers, flushes the response with no body
 * ({@code exchange.getOutputStream().flush()}, a servlet's {@code flushBuffer()}) and returns makes Undertow send the
 * HEADERS without END_STREAM at the flush ({@code Http2DataStreamSinkChannel.createFrameHeaderImpl()}, first frame,
 * final frame not queued), and the end of the exchange then sends {@code DATA(length 0, END_STREAM)}. grpc-go:
 * "server closed the stream without sending trailers" (golang/go#56317); grpc-java and grpc-js: INTERNAL. One advice,
 * {@link FlushAdvice}, on the stream channel's flush: such a flush ends the stream instead ({@code shutdownWrites()}),
 * and Undertow sends one HEADERS with END_STREAM, as it does for the same response closed without the flush.
 */
public final class UndertowEndStreamFix extends UndertowFix {

    static final String SINK_CHANNEL = "io.undertow.server.protocol.framed.AbstractFramedStreamSinkChannel";

    @Override
    public String name() {
        return FixNames.END_STREAM;
    }

    @Override
    public List<TypePatch> patches() {
        return Collections.singletonList(TypePatch.type(SINK_CHANNEL).advise(FlushAdvice.class, "flush"));
    }
}
