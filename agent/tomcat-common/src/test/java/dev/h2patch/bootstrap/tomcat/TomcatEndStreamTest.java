package dev.h2patch.bootstrap.tomcat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The decision of {@link TomcatEndStream}, which the finish-response advice asks. */
class TomcatEndStreamTest {

    private final boolean reportOnly = H2patchRuntime.reportOnly;

    @AfterEach
    void restore() {
        H2patchRuntime.reportOnly = reportOnly;
    }

    private static Supplier<Map<String, String>> grpcError(boolean committed, boolean hasTrailers, int status,
            String method, long written, String contentType, String grpcStatus) {
        return TomcatEndStream.repeatStatus(committed, hasTrailers, status, method, written, contentType, grpcStatus,
                "no such thing", null);
    }

    @Test
    void aTrailersOnlyAnswerGetsItsStatusRepeatedInTrailersAndIsCounted() {
        H2patchRuntime.reportOnly = false;
        long folded = Counters.get(Counters.END_STREAM_FOLDED);
        Supplier<Map<String, String>> trailers = TomcatEndStream.repeatStatus(true, false, 200, "POST", 0,
                "application/grpc+proto", "5", "no such thing", "CAE");
        Map<String, String> expected = new LinkedHashMap<>();
        expected.put("grpc-status", "5");
        expected.put("grpc-message", "no such thing");
        expected.put("grpc-status-details-bin", "CAE");
        assertEquals(expected, trailers.get());
        assertEquals(Map.of("grpc-status", "0"), TomcatEndStream.repeatStatus(true, false, 200, null, 0,
                "application/grpc", "0", null, null).get(), "no message, no details: only the status");
        assertEquals(folded + 2, Counters.get(Counters.END_STREAM_FOLDED));
    }

    @Test
    void everythingElseIsLeftAlone() {
        H2patchRuntime.reportOnly = false;
        long folded = Counters.get(Counters.END_STREAM_FOLDED);
        assertNull(grpcError(false, false, 200, "POST", 0, "application/grpc", "5"), "not committed");
        assertNull(grpcError(true, true, 200, "POST", 0, "application/grpc", "5"), "trailers of its own");
        assertNull(grpcError(true, false, 103, "POST", 0, "application/grpc", "5"), "1xx");
        assertNull(grpcError(true, false, 200, "HEAD", 0, "application/grpc", "5"), "HEAD");
        assertNull(grpcError(true, false, 200, "CONNECT", 0, "application/grpc", "5"), "a tunnel");
        assertNull(grpcError(true, false, 200, "POST", 12, "application/grpc", "5"), "a body: not Trailers-Only");
        assertNull(grpcError(true, false, 200, "POST", 0, "application/grpc", null), "no grpc-status");
        assertNull(grpcError(true, false, 415, "POST", 0, "text/plain", "5"), "grpc-status on a non-gRPC response");
        assertNull(grpcError(true, false, 200, "POST", 0, null, "5"), "no content type");
        assertEquals(folded, Counters.get(Counters.END_STREAM_FOLDED));
    }

    @Test
    void reportModeCountsAndChangesNothing() {
        H2patchRuntime.reportOnly = true;
        long would = Counters.get(Counters.END_STREAM_WOULD_FOLD);
        long folded = Counters.get(Counters.END_STREAM_FOLDED);
        assertNull(grpcError(true, false, 200, "POST", 0, "application/grpc", "5"));
        assertEquals(would + 1, Counters.get(Counters.END_STREAM_WOULD_FOLD));
        assertEquals(folded, Counters.get(Counters.END_STREAM_FOLDED));
    }
}
