package dev.h2patch.bootstrap.tomcat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link TomcatDrain}: the engine's stop waits for the paused connections' streams, within the bound. */
class TomcatDrainTest {

    private final boolean reportOnly = H2patchRuntime.reportOnly;
    private final long drainMillis = H2patchRuntime.shutdownDrainMillis;

    /** A socket wrapper stand-in: Tomcat's has a public isClosed(). */
    public static final class Socket {
        volatile boolean closed;

        public boolean isClosed() {
            return closed;
        }
    }

    @AfterEach
    void restore() throws InterruptedException {
        H2patchRuntime.reportOnly = reportOnly;
        H2patchRuntime.shutdownDrainMillis = drainMillis;
        TomcatDrain.awaitStreams(); // forget what a test left
    }

    @Test
    void theStopWaitsUntilTheStreamsFinish() throws Exception {
        H2patchRuntime.reportOnly = false;
        H2patchRuntime.shutdownDrainMillis = 5000;
        AtomicInteger streams = new AtomicInteger(2);
        Socket socket = new Socket();
        TomcatDrain.paused(streams, socket);
        long saved = Counters.get(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN);
        Thread finisher = new Thread(() -> {
            try {
                Thread.sleep(200);
                streams.decrementAndGet();
                Thread.sleep(200);
                streams.decrementAndGet();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long start = System.nanoTime();
        finisher.start();
        TomcatDrain.awaitStreams();
        long ms = (System.nanoTime() - start) / 1000000;
        assertTrue(ms >= 350 && ms < 2000, "waited " + ms + " ms");
        assertEquals(saved + 2, Counters.get(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN));
        assertEquals(0, TomcatDrain.activeStreams(), "forgotten after the drain");
    }

    @Test
    void anInterruptEndsTheWaitAndStaysSet() throws Exception {
        H2patchRuntime.reportOnly = false;
        H2patchRuntime.shutdownDrainMillis = 5000;
        TomcatDrain.paused(new AtomicInteger(1), new Socket());
        long timeouts = Counters.get(Counters.CONNECTION_STATE_DRAIN_TIMEOUT);
        Thread.currentThread().interrupt();
        long start = System.nanoTime();
        TomcatDrain.awaitStreams();
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertTrue(Thread.interrupted(), "the stopping thread keeps its interrupt");
        assertTrue(ms < 1000, "the wait ended at the interrupt, not the 5 s bound: " + ms + " ms");
        assertEquals(timeouts, Counters.get(Counters.CONNECTION_STATE_DRAIN_TIMEOUT), "an interrupt is not the bound");
    }

    @Test
    void theBoundEndsTheWait() throws Exception {
        H2patchRuntime.reportOnly = false;
        H2patchRuntime.shutdownDrainMillis = 200;
        TomcatDrain.paused(new AtomicInteger(1), new Socket());
        long timeouts = Counters.get(Counters.CONNECTION_STATE_DRAIN_TIMEOUT);
        long start = System.nanoTime();
        TomcatDrain.awaitStreams();
        long ms = (System.nanoTime() - start) / 1000000;
        assertTrue(ms >= 190 && ms < 1500, "waited " + ms + " ms");
        assertEquals(timeouts + 1, Counters.get(Counters.CONNECTION_STATE_DRAIN_TIMEOUT));
    }

    @Test
    void closedConnectionsAndReportModeDoNotWait() throws Exception {
        H2patchRuntime.reportOnly = false;
        H2patchRuntime.shutdownDrainMillis = 5000;
        Socket closed = new Socket();
        closed.closed = true;
        TomcatDrain.paused(new AtomicInteger(3), closed);
        long start = System.nanoTime();
        TomcatDrain.awaitStreams();
        assertTrue((System.nanoTime() - start) / 1000000 < 500, "a closed socket counts no stream");

        H2patchRuntime.reportOnly = true;
        long would = Counters.get(Counters.CONNECTION_STATE_WOULD_CHANGE);
        TomcatDrain.paused(new AtomicInteger(1), new Socket());
        start = System.nanoTime();
        TomcatDrain.awaitStreams();
        assertTrue((System.nanoTime() - start) / 1000000 < 500, "report mode does not wait");
        assertEquals(would + 1, Counters.get(Counters.CONNECTION_STATE_WOULD_CHANGE));
    }
}
