package dev.h2patch.bootstrap.jetty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import java.io.IOException;
import java.io.PrintStream;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The decisions of {@link JettyEndStream}, which the send advice of every Jetty line asks. */
class JettyEndStreamTest {

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

    private final boolean reportOnly = H2patchRuntime.reportOnly;

    @AfterEach
    void restore() {
        H2patchRuntime.reportOnly = reportOnly;
    }

    @Test
    void onlyAFirstEmptyNotLastCommitWithAFinalStatusMayBeFolded() {
        assertTrue(JettyEndStream.mayFold(false, null, false, 200));
        assertTrue(JettyEndStream.mayFold(false, EMPTY, false, 200));
        assertTrue(JettyEndStream.mayFold(false, EMPTY, false, 415));
        assertFalse(JettyEndStream.mayFold(true, EMPTY, false, 200), "already the last write");
        assertFalse(JettyEndStream.mayFold(false, ByteBuffer.wrap(new byte[1]), false, 200), "content");
        assertFalse(JettyEndStream.mayFold(false, EMPTY, true, 200), "committed before");
        assertFalse(JettyEndStream.mayFold(false, EMPTY, false, 103), "1xx: informational");
    }

    @Test
    void aGrpcTrailersOnlyAnswerIsFoldedAndCounted() {
        H2patchRuntime.reportOnly = false;
        long folded = Counters.get(Counters.END_STREAM_FOLDED);
        assertTrue(JettyEndStream.fold("POST", "5", "application/grpc"));
        assertTrue(JettyEndStream.fold(null, "0", "application/grpc+proto"), "9.4: no method, not HEAD");
        assertEquals(folded + 2, Counters.get(Counters.END_STREAM_FOLDED));
    }

    @Test
    void headConnectAndNonGrpcResponsesAreLeftAlone() {
        H2patchRuntime.reportOnly = false;
        long folded = Counters.get(Counters.END_STREAM_FOLDED);
        assertFalse(JettyEndStream.fold("HEAD", "5", "application/grpc"));
        assertFalse(JettyEndStream.fold("CONNECT", "5", "application/grpc"), "a tunnel");
        assertFalse(JettyEndStream.fold("POST", null, "application/grpc"), "no grpc-status");
        assertFalse(JettyEndStream.fold("POST", "5", "text/plain"), "grpc-status on a non-gRPC response");
        assertFalse(JettyEndStream.fold("POST", "5", null));
        assertEquals(folded, Counters.get(Counters.END_STREAM_FOLDED));
    }

    @Test
    void inReportModeAFoldIsCountedAndNotDone() {
        H2patchRuntime.reportOnly = true;
        long would = Counters.get(Counters.END_STREAM_WOULD_FOLD);
        long folded = Counters.get(Counters.END_STREAM_FOLDED);
        assertFalse(JettyEndStream.fold("POST", "5", "application/grpc"));
        assertEquals(would + 1, Counters.get(Counters.END_STREAM_WOULD_FOLD));
        assertEquals(folded, Counters.get(Counters.END_STREAM_FOLDED));
    }

    @Test
    void aLaterWriteOnAStreamNoFixEndedIsWrittenByJetty() {
        assertNull(JettyEndStream.laterWrite(null, 3, EMPTY));
        assertNull(JettyEndStream.laterWrite(null, 3, ByteBuffer.wrap(new byte[5])));
    }

    @Test
    void aLaterWriteOnAnEndedStreamIsAbsorbedWhenEmptyAndFailsWithBytes() {
        assertSame(JettyEndStream.ABSORBED, JettyEndStream.laterWrite(Boolean.TRUE, 3, EMPTY));
        assertSame(JettyEndStream.ABSORBED, JettyEndStream.laterWrite(Boolean.TRUE, 3, null));
        PrintStream savedErr = System.err;
        Object outcome;
        try {
            System.setErr(new PrintStream(new ByteArrayOutputStream(), true)); // the first such failure is logged
            outcome = JettyEndStream.laterWrite(Boolean.TRUE, 3, ByteBuffer.wrap(new byte[5]));
        } finally {
            System.setErr(savedErr);
        }
        assertTrue(outcome instanceof IOException, String.valueOf(outcome));
        assertTrue(((IOException) outcome).getMessage().contains("stream 3"));
    }
}
