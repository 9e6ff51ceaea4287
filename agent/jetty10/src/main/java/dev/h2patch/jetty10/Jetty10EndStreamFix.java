package dev.h2patch.jetty10;

import dev.h2patch.FixNames;
import dev.h2patch.TypePatch;
import java.util.Collections;
import java.util.List;

/**
 * end-stream for Jetty 10 and 11: a gRPC response must not end with HEADERS followed by an empty DATA(END_STREAM)
 * (docs/fixes/end-stream.md, "Jetty").
 *
 * <p>A servlet (or a proxy relaying a backend) that commits a response with no body before it completes —
 * {@code response.flushBuffer()}, {@code HttpOutput.flush()} with nothing buffered — makes Jetty send the HEADERS
 * without END_STREAM, and the completion then sends {@code DATA(length 0, END_STREAM)}. That is valid HTTP/2, but a
 * gRPC "Trailers-Only" answer sent that way fails in grpc-go with "server closed the stream without sending
 * trailers" (golang/go#56317, nghttp2/nghttp2#588; grpc-java reports INTERNAL). One advice,
 * {@link TransportSendAdvice}, on the transport's single entry point: the commit of a gRPC Trailers-Only response is
 * sent as the last write (one HEADERS with END_STREAM), and the writes that follow on that stream are completed
 * without writing anything.
 */
public final class Jetty10EndStreamFix extends Jetty10Fix {

    static final String TRANSPORT = "org.eclipse.jetty.http2.server.HttpTransportOverHTTP2";

    public Jetty10EndStreamFix() {
        super("org.eclipse.jetty.http2", "http2-server");
    }

    @Override
    public String name() {
        return FixNames.END_STREAM;
    }

    @Override
    public List<TypePatch> patches() {
        return Collections.singletonList(TypePatch.type(TRANSPORT)
                .advise(TransportSendAdvice.class, "send",
                        "org.eclipse.jetty.http.MetaData$Request", "org.eclipse.jetty.http.MetaData$Response",
                        "java.nio.ByteBuffer", "boolean", "org.eclipse.jetty.util.Callback"));
    }
}
