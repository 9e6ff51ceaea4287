package dev.h2patch.bootstrap.tomcat;

import dev.h2patch.bootstrap.EndedStreams;
import dev.h2patch.bootstrap.GrpcShape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The decision of the Tomcat end-stream advice (docs/fixes/end-stream.md, "Tomcat"), for every Tomcat line: whether a
 * response about to end is a gRPC answer whose status went out in its response headers only, and which trailers then
 * repeat that status.
 *
 * <p>Tomcat commits a servlet's response before its output buffer closes, so a gRPC Trailers-Only answer (status 200,
 * gRPC content type, {@code grpc-status} as a header, no body) leaves as HEADERS without END_STREAM, then
 * {@code DATA(length 0, END_STREAM)}: grpc-go fails it with "server closed the stream without sending trailers"
 * (docs/bugs.md#end-stream). The advice, inlined where Tomcat's HTTP/2 stream processor finishes a response
 * ({@code StreamProcessor.finishResponse()}, after the commit, before the output buffer's end), asks here with
 * what it read from Tomcat's response; when the answer is a supplier it sets it as the response's trailer fields
 * (Tomcat's own {@code setTrailerFields} path, the one a servlet takes with Servlet 4's trailers API): Tomcat then
 * sends the empty DATA without END_STREAM and a trailers HEADERS with END_STREAM repeating {@code grpc-status},
 * {@code grpc-message} and {@code grpc-status-details-bin}. Every gRPC client reads its status there.
 */
public final class TomcatEndStream {

    private TomcatEndStream() {
    }

    /**
     * The trailers to set on a response Tomcat is about to finish, or null to leave it as it is.
     *
     * <p>Only a committed response (its headers are on the wire) with no trailers of its own, a final status, a
     * request that is not HEAD or CONNECT, no body bytes from the application ({@code contentWritten == 0}: a
     * Trailers-Only answer; a response with messages is the application's to end) and headers that make it the end
     * of a gRPC response ({@link GrpcShape#endsResponse}: {@code grpc-status} and a gRPC content type). Counted as
     * {@code end-stream.folded} (the end of the response now carries its status, as the fold does on Netty and
     * Jetty); in report mode counted as {@code end-stream.would-fold} and null.
     *
     * @param committed   the response's headers were written
     * @param hasTrailers the application set trailer fields itself
     * @param status      the response status
     * @param method      the request method, or null
     * @param contentWritten the body bytes the application wrote
     * @param contentType the response content type, or null
     * @param grpcStatus  the response header {@code grpc-status}, or null
     * @param grpcMessage the response header {@code grpc-message}, or null
     * @param grpcDetails the response header {@code grpc-status-details-bin}, or null
     */
    public static Supplier<Map<String, String>> repeatStatus(boolean committed, boolean hasTrailers, int status,
            String method, long contentWritten, String contentType, String grpcStatus, String grpcMessage,
            String grpcDetails) {
        if (!committed || hasTrailers || status < 200 || contentWritten != 0 || grpcStatus == null
                || "HEAD".equals(method) || "CONNECT".equals(method)) {
            return null;
        }
        if (!GrpcShape.endsResponse(false, grpcStatus, contentType) || !EndedStreams.fold()) {
            return null;
        }
        Map<String, String> trailers = new LinkedHashMap<String, String>();
        trailers.put("grpc-status", grpcStatus);
        if (grpcMessage != null) {
            trailers.put("grpc-message", grpcMessage);
        }
        if (grpcDetails != null) {
            trailers.put("grpc-status-details-bin", grpcDetails);
        }
        return new Trailers(Collections.unmodifiableMap(trailers));
    }

    /** The trailers a response gets (a named class: no lambda in code inlined advice reaches). */
    static final class Trailers implements Supplier<Map<String, String>> {
        private final Map<String, String> fields;

        Trailers(Map<String, String> fields) {
            this.fields = fields;
        }

        @Override
        public Map<String, String> get() {
            return fields;
        }
    }
}
