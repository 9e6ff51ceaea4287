package dev.h2patch.bootstrap.undertow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The decisions of {@link UndertowEndStream}, which the flush advice asks. */
class UndertowEndStreamTest {

    private final boolean reportOnly = H2patchRuntime.reportOnly;

    @AfterEach
    void restore() {
        H2patchRuntime.reportOnly = reportOnly;
    }

    @Test
    void onlyAFlushBeforeAnythingWasQueuedOrWrittenMayBeFolded() {
        assertTrue(UndertowEndStream.mayFold(0, 0));
        assertTrue(UndertowEndStream.mayFold(8, 0), "STATE_PRE_WRITE_CALLED says nothing about the HEADERS");
        assertFalse(UndertowEndStream.mayFold(0, 1), "bytes written: the flush sends them with the HEADERS");
        assertFalse(UndertowEndStream.mayFold(UndertowEndStream.STATE_FIRST_DATA_WRITTEN, 0), "HEADERS already queued");
        assertFalse(UndertowEndStream.mayFold(UndertowEndStream.STATE_WRITES_SHUTDOWN, 0), "ended by the application");
        assertFalse(UndertowEndStream.mayFold(UndertowEndStream.STATE_CLOSED, 0));
    }

    @Test
    void aGrpcTrailersOnlyAnswerIsFoldedAndCounted() {
        H2patchRuntime.reportOnly = false;
        long folded = Counters.get(Counters.END_STREAM_FOLDED);
        assertTrue(UndertowEndStream.fold("200", "5", "application/grpc"));
        assertTrue(UndertowEndStream.fold("200", "0", "application/grpc+proto"));
        assertEquals(folded + 2, Counters.get(Counters.END_STREAM_FOLDED));
    }

    @Test
    void requestsInformationalAndNonGrpcResponsesAreLeftAlone() {
        H2patchRuntime.reportOnly = false;
        long folded = Counters.get(Counters.END_STREAM_FOLDED);
        assertFalse(UndertowEndStream.fold(null, "5", "application/grpc"), "no :status: a client's request");
        assertFalse(UndertowEndStream.fold("", "5", "application/grpc"));
        assertFalse(UndertowEndStream.fold("100", "5", "application/grpc"), "1xx: informational");
        assertFalse(UndertowEndStream.fold("200", null, "application/grpc"), "no grpc-status");
        assertFalse(UndertowEndStream.fold("200", "5", "text/plain"), "grpc-status on a non-gRPC response");
        assertFalse(UndertowEndStream.fold("200", "5", "application/grpcx"), "a lookalike");
        assertFalse(UndertowEndStream.fold("200", "5", null));
        assertEquals(folded, Counters.get(Counters.END_STREAM_FOLDED));
    }

    @Test
    void inReportModeAFoldIsCountedAndNotDone() {
        H2patchRuntime.reportOnly = true;
        long would = Counters.get(Counters.END_STREAM_WOULD_FOLD);
        long folded = Counters.get(Counters.END_STREAM_FOLDED);
        assertFalse(UndertowEndStream.fold("200", "5", "application/grpc"));
        assertEquals(would + 1, Counters.get(Counters.END_STREAM_WOULD_FOLD));
        assertEquals(folded, Counters.get(Counters.END_STREAM_FOLDED));
    }
}
