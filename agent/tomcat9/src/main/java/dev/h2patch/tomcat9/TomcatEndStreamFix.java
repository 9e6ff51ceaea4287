package dev.h2patch.tomcat9;

import dev.h2patch.FixNames;
import dev.h2patch.TypePatch;
import java.util.Collections;
import java.util.List;

/**
 * end-stream for Tomcat 9.0, 10.1 and 11.0: a gRPC answer whose status went out in its response headers must reach
 * gRPC clients with that status (docs/fixes/end-stream.md, "Tomcat").
 *
 * <p>Tomcat commits a servlet's response before the response's output buffer closes, with or without
 * {@code flushBuffer()}, so its HEADERS never carry END_STREAM and the end of the response is
 * {@code DATA(length 0, END_STREAM)}: a gRPC Trailers-Only error sent that way fails in grpc-go with "server closed
 * the stream without sending trailers" and in grpc-js with INTERNAL. One advice, {@link FinishResponseAdvice}, on
 * {@code StreamProcessor.finishResponse()} (where every HTTP/2 response ends: after the commit, before
 * {@code StreamOutputBuffer.end()}): such a response gets trailer fields repeating its {@code grpc-status}, through
 * Tomcat's own trailer path, so Tomcat ends it with a trailers HEADERS(END_STREAM) that carries the status.
 *
 * <p>Why trailers and not one HEADERS(END_STREAM), as on Netty and Jetty: when the servlet flushes, the headers leave
 * before anything shows the response is over, and ending the stream there would leave Tomcat's output buffer open on
 * a half-closed stream, where Tomcat drops later writes without an error ({@code writeBody} skips a stream that
 * cannot write); and on 9.0.70 a HEADERS with END_STREAM from {@code writeHeaders} does not take the stream off the
 * connection's active count ({@code activeRemoteStreamCount}), which only {@code writeBody}, a received END_STREAM and
 * resets decrement there. Trailers set before the end take only paths Tomcat takes for any servlet that uses
 * Servlet 4's {@code setTrailerFields}, on every line.
 */
public final class TomcatEndStreamFix extends TomcatFix {

    static final String STREAM_PROCESSOR = "org.apache.coyote.http2.StreamProcessor";

    @Override
    public String name() {
        return FixNames.END_STREAM;
    }

    @Override
    public List<TypePatch> patches() {
        return Collections.singletonList(TypePatch.type(STREAM_PROCESSOR)
                .advise(FinishResponseAdvice.class, "finishResponse"));
    }
}
