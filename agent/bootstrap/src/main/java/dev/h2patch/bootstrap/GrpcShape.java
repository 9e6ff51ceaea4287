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
