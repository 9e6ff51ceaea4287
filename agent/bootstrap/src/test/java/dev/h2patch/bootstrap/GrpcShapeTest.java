package dev.h2patch.bootstrap;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The one gRPC shape test of every end-stream advice (docs/fixes/end-stream.md, "Netty": why the content type is part
 * of it; the test apps' route {@code /grpc-lookalike} checks the same end to end).
 */
class GrpcShapeTest {

    @Test
    void grpcContentTypes() {
        assertTrue(GrpcShape.isGrpcContentType("application/grpc"));
        assertTrue(GrpcShape.isGrpcContentType("application/grpc+proto"));
        assertTrue(GrpcShape.isGrpcContentType("application/grpc+json"));
        assertTrue(GrpcShape.isGrpcContentType("application/grpc;charset=utf-8"));
        assertTrue(GrpcShape.isGrpcContentType("application/grpc-web"));
        assertTrue(GrpcShape.isGrpcContentType("Application/GRPC"), "ASCII case-insensitive");
        assertTrue(GrpcShape.isGrpcContentType(new StringBuilder("application/grpc")), "any CharSequence");
    }

    @Test
    void notGrpcContentTypes() {
        assertFalse(GrpcShape.isGrpcContentType(null));
        assertFalse(GrpcShape.isGrpcContentType(""));
        assertFalse(GrpcShape.isGrpcContentType("application/grp"));
        assertFalse(GrpcShape.isGrpcContentType("application/grpcx"), "a lookalike");
        assertFalse(GrpcShape.isGrpcContentType("text/plain"));
        assertFalse(GrpcShape.isGrpcContentType(" application/grpc"));
        assertFalse(GrpcShape.isGrpcContentType("application/json"));
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
