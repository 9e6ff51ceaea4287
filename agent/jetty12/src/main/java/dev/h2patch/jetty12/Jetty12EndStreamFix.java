package dev.h2patch.jetty12;

import dev.h2patch.FixNames;
import dev.h2patch.TypePatch;
import java.util.Collections;
import java.util.List;

/**
 * end-stream for Jetty 12.0 and 12.1: a gRPC response must not end with HEADERS followed by an empty
 * DATA(END_STREAM) (docs/fixes/end-stream.md, "Jetty").
 *
 * <p>A handler that commits a response with no body before it completes — core {@code Response.write(false, empty,
 * callback)}, an ee10/ee11 servlet's {@code flushBuffer()} — makes Jetty send the HEADERS without END_STREAM, and the
 * completion then sends {@code DATA(length 0, END_STREAM)}. That is valid HTTP/2, but a gRPC "Trailers-Only" answer
 * sent that way fails in grpc-go with "server closed the stream without sending trailers" (golang/go#56317,
 * nghttp2/nghttp2#588; grpc-java reports INTERNAL). One advice, {@link StreamSendAdvice}, on the HTTP/2 stream's
 * single send method: the commit of a gRPC Trailers-Only response is sent as the last write (one HEADERS with
 * END_STREAM), and the writes that follow on that stream are completed without writing anything.
 */
public final class Jetty12EndStreamFix extends Jetty12Fix {

    static final String HTTP_STREAM = "org.eclipse.jetty.http2.server.internal.HttpStreamOverHTTP2";

    public Jetty12EndStreamFix() {
        super("org.eclipse.jetty.http2", "jetty-http2-server");
    }

    @Override
    public String name() {
        return FixNames.END_STREAM;
    }

    @Override
    public List<TypePatch> patches() {
        return Collections.singletonList(TypePatch.type(HTTP_STREAM)
                .advise(StreamSendAdvice.class, "send",
                        "org.eclipse.jetty.http.MetaData$Request", "org.eclipse.jetty.http.MetaData$Response",
                        "boolean", "java.nio.ByteBuffer", "org.eclipse.jetty.util.Callback"));
    }
}
