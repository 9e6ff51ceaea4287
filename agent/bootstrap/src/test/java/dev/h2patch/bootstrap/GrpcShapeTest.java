package dev.h2patch.bootstrap;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The one gRPC shape test of every end-stream advice (docs/fixes/end-stream.md, "Netty": why the content type is part
 * of it; the test apps' route {@code /grpc-lookalike} checks the same end to end).
 */
class GrpcShapeTest {

    /** gRPC content types: the prefix alone, or followed by {@code +}, {@code ;} or {@code -}; any letter case. */
    private static final String[] GRPC = {
        "application/grpc", "application/grpc+proto", "application/grpc+json", "application/grpc;charset=utf-8",
        "application/grpc-web", "Application/GRPC",
    };

    /** Not gRPC: too short, a lookalike, a leading space, other types. */
    private static final String[] NOT_GRPC = {
        "", "application/grp", "application/grpcx", " application/grpc", "text/plain", "application/json",
    };

    @Test
    void grpcContentTypes() {
        for (String type : GRPC) {
            assertTrue(GrpcShape.isGrpcContentType(type), type);
        }
        assertTrue(GrpcShape.isGrpcContentType(new StringBuilder("application/grpc")), "any CharSequence");
    }

    @Test
    void notGrpcContentTypes() {
        for (String type : NOT_GRPC) {
            assertFalse(GrpcShape.isGrpcContentType(type), type);
        }
        assertFalse(GrpcShape.isGrpcContentType(null));
    }

    @Test
    void informationalStatus() {
        assertTrue(GrpcShape.isInformational("100"));
        assertTrue(GrpcShape.isInformational("103"));
        assertFalse(GrpcShape.isInformational("200"));
        assertFalse(GrpcShape.isInformational("415"));
        assertFalse(GrpcShape.isInformational(null), "no :status (trailers)");
        assertFalse(GrpcShape.isInformational(""));
    }

    @Test
    void aFinalGrpcStatusWithAGrpcContentTypeEndsTheResponse() {
        assertTrue(GrpcShape.endsResponse(false, "0", "application/grpc"));
        assertTrue(GrpcShape.endsResponse(false, "13", "application/grpc+proto"));
        assertFalse(GrpcShape.endsResponse(true, "0", "application/grpc"), "1xx never ends a response");
        assertFalse(GrpcShape.endsResponse(false, null, "application/grpc"), "no grpc-status: headers, not the end");
        // grpc-java's 415 for a request that is not gRPC: grpc-status, a text body follows.
        assertFalse(GrpcShape.endsResponse(false, "2", "text/plain; charset=utf-8"));
        assertFalse(GrpcShape.endsResponse(false, "0", null));
        assertFalse(GrpcShape.endsResponse(false, "0", "application/grpcx"));
    }
}
