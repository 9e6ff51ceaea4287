package dev.h2patch.bootstrap;

/**
 * What makes a response a gRPC one, for advice that only sees header values as strings.
 *
 * <p>gRPC over HTTP/2 (PROTOCOL-HTTP2.md in grpc/grpc): every gRPC response has a {@code content-type} starting with
 * {@code application/grpc} ({@code +proto}, {@code +json}... may follow), and a response HEADERS that carries
 * {@code grpc-status} is its last frame — a "Trailers-Only" answer or the trailers — which must end the stream. The
 * content-type test matters: grpc-java, for one, answers a non-gRPC request with a 415 whose HEADERS carry
 * {@code grpc-status} and are followed by a text body.
 */
public final class GrpcShape {

    private static final String GRPC = "application/grpc";

    private GrpcShape() {
    }

    /**
     * Whether a response HEADERS written without END_STREAM is the last frame of a gRPC response, which must end the
     * stream: not informational (1xx, never the end of a response), carries {@code grpc-status}, and has a gRPC
     * content type ({@link #isGrpcContentType}). The one test of every end-stream advice, Netty and Jetty alike.
     *
     * @param informational whether the response status is 1xx ({@link #isInformational(CharSequence)} for a
     *     {@code :status} value)
     * @param grpcStatus the {@code grpc-status} value, or null when the HEADERS carry none
     * @param contentType the {@code content-type} value, or null
     */
    public static boolean endsResponse(boolean informational, CharSequence grpcStatus, CharSequence contentType) {
        return !informational && grpcStatus != null && isGrpcContentType(contentType);
    }

    /** Whether a {@code :status} pseudo-header value is informational (1xx); null or empty is not. */
    public static boolean isInformational(CharSequence status) {
        return status != null && status.length() > 0 && status.charAt(0) == '1';
    }

    /** Whether {@code contentType} is a gRPC content type (ASCII case-insensitive prefix; {@code null} is not). */
    public static boolean isGrpcContentType(CharSequence contentType) {
        if (contentType == null || contentType.length() < GRPC.length()) {
            return false;
        }
        for (int i = 0; i < GRPC.length(); i++) {
            if (Character.toLowerCase(contentType.charAt(i)) != GRPC.charAt(i)) {
                return false;
            }
        }
        return contentType.length() == GRPC.length() || contentType.charAt(GRPC.length()) == '+'
                || contentType.charAt(GRPC.length()) == ';' || contentType.charAt(GRPC.length()) == '-';
    }
}
