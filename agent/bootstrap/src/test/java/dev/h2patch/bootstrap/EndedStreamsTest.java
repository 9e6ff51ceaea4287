package dev.h2patch.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The one decision Netty and every Jetty line share about a write on a stream whose response the end-stream fix has
 * already ended ({@link EndedStreams#afterEnd}): only a write that carries nothing may be absorbed; one that carries
 * bytes fails, is counted, and the first such failure in the JVM is logged.
 */
class EndedStreamsTest {

    @AfterEach
    void fixMode() {
        H2patchRuntime.reportOnly = false;
    }

    @Test
    void anEmptyWriteIsAbsorbedAndCountedAsDropped() {
        long dropped = Counters.get(Counters.END_STREAM_DROPPED_WRITES);
        long failed = Counters.get(Counters.END_STREAM_FAILED_WRITES);
        assertNull(EndedStreams.afterEnd(3, "DATA", 0, "bytes"), "the empty DATA(END_STREAM) the fold replaced");
        assertNull(EndedStreams.afterEnd(3, "trailers", 0, "fields"), "an empty trailers block");
        assertEquals(dropped + 2, Counters.get(Counters.END_STREAM_DROPPED_WRITES));
        assertEquals(failed, Counters.get(Counters.END_STREAM_FAILED_WRITES));
    }

    @Test
    void aWriteWithBytesFailsNamesH2patchAndTheStreamIsCountedAndLoggedOnce() {
        long dropped = Counters.get(Counters.END_STREAM_DROPPED_WRITES);
        long failed = Counters.get(Counters.END_STREAM_FAILED_WRITES);
        PrintStream savedErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Throwable first;
        Throwable second;
        try {
            System.setErr(new PrintStream(err, true));
            first = EndedStreams.afterEnd(5, "DATA", 17, "bytes");
            second = EndedStreams.afterEnd(7, "trailers", 2, "fields");
        } finally {
            System.setErr(savedErr);
        }
        assertTrue(first instanceof IOException, "a failed write is an IOException: " + first);
        String message = first.getMessage();
        assertTrue(message.startsWith("h2patch end-stream: stream 5 "), message);
        assertTrue(message.contains("DATA write of 17 bytes"), message);
        assertTrue(second instanceof IOException, "trailers with fields fail too: " + second);
        assertTrue(second.getMessage().contains("stream 7") && second.getMessage().contains("2 fields"),
                second.getMessage());
        assertEquals(failed + 2, Counters.get(Counters.END_STREAM_FAILED_WRITES));
        assertEquals(dropped, Counters.get(Counters.END_STREAM_DROPPED_WRITES));

        String logged = err.toString();
        String[] lines = logged.trim().isEmpty() ? new String[0] : logged.trim().split("\\R");
        // Logged once per JVM: at most one line here (none if another test of this JVM failed a write first).
        assertTrue(lines.length <= 1, "logged once, then only counted:\n" + logged);
        for (String line : lines) {
            assertTrue(line.startsWith("WARN h2patch - h2patch end-stream: stream "), line);
        }
        assertFalse(logged.contains("stream 7"), "the second failure is only counted:\n" + logged);
    }

    @Test
    void theCountersAreNamed() {
        assertEquals("end-stream.failed-writes", Counters.name(Counters.END_STREAM_FAILED_WRITES));
        assertEquals("end-stream.dropped-writes", Counters.name(Counters.END_STREAM_DROPPED_WRITES));
    }

    @Test
    void remembersRecentStreamsPerConnection() {
        Object connection = new Object();
        EndedStreams.remember(connection, 9);
        assertTrue(EndedStreams.contains(connection, 9));
        assertFalse(EndedStreams.contains(connection, 11));
        assertFalse(EndedStreams.contains(new Object(), 9));
    }

    @Test
    void onlyAResetOfAClosedStreamAFixEndedIsDropped() {
        assertTrue(EndedStreams.dropResetOfClosed(true, Boolean.TRUE));
        assertFalse(EndedStreams.dropResetOfClosed(false, Boolean.TRUE), "half-closed: proxy-safe-reset decides");
        assertFalse(EndedStreams.dropResetOfClosed(true, null), "a stream no fix ended: Jetty's own reset");
    }

    @Test
    void foldEndsTheResponseInFixModeAndOnlyCountsInReportMode() {
        long folded = Counters.get(Counters.END_STREAM_FOLDED);
        long wouldFold = Counters.get(Counters.END_STREAM_WOULD_FOLD);
        assertTrue(EndedStreams.fold());
        assertEquals(folded + 1, Counters.get(Counters.END_STREAM_FOLDED));
        assertEquals(wouldFold, Counters.get(Counters.END_STREAM_WOULD_FOLD));

        H2patchRuntime.reportOnly = true;
        assertFalse(EndedStreams.fold(), "report mode: the frames stay as they are");
        assertEquals(folded + 1, Counters.get(Counters.END_STREAM_FOLDED));
        assertEquals(wouldFold + 1, Counters.get(Counters.END_STREAM_WOULD_FOLD));
    }

    @Test
    void aLateWriteIsTakenOnlyOnAStreamAFixEndedAndNotInReportMode() {
        Object connection = new Object();
        EndedStreams.remember(connection, 13);
        assertTrue(EndedStreams.takesWrite(connection, 13));
        assertFalse(EndedStreams.takesWrite(connection, 15), "a stream the library ended itself");
        assertFalse(EndedStreams.takesWrite(new Object(), 13), "another connection");

        // Report mode remembers the streams it would have ended (so the frame writer does not count them twice), but
        // ended none: their writes are the library's.
        H2patchRuntime.reportOnly = true;
        assertFalse(EndedStreams.takesWrite(connection, 13));
    }

    @Test
    void onlyTheRecentStreamsOfAConnectionAreRemembered() {
        Object connection = new Object();
        for (int id = 1; id <= 2 * EndedStreams.RING_SIZE + 1; id += 2) { // one more than the ring holds
            EndedStreams.remember(connection, id);
        }
        assertFalse(EndedStreams.contains(connection, 1), "the oldest went out of the ring");
        assertTrue(EndedStreams.contains(connection, 3));
        assertTrue(EndedStreams.contains(connection, 2 * EndedStreams.RING_SIZE + 1), "the newest");
    }
}
