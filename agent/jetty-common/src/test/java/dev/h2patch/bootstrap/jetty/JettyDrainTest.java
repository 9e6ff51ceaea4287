package dev.h2patch.bootstrap.jetty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The decisions of {@link JettyDrain} that the connection-state advice (all Jetty lines) asks. */
class JettyDrainTest {

    private final boolean reportOnly = H2patchRuntime.reportOnly;
    private final long shutdownDrainMillis = H2patchRuntime.shutdownDrainMillis;
    private final long idleDeferMaxMillis = H2patchRuntime.idleDeferMaxMillis;

    @AfterEach
    void restore() {
        H2patchRuntime.reportOnly = reportOnly;
        H2patchRuntime.shutdownDrainMillis = shutdownDrainMillis;
        H2patchRuntime.idleDeferMaxMillis = idleDeferMaxMillis;
    }

    @Test
    void onlyTheIdleTimeoutOfAClosingSessionWithStreamsIsHeldBack() {
        H2patchRuntime.reportOnly = false;
        assertFalse(JettyDrain.deferIdle(new Object(), "NOT_CLOSED", 3, 1000), "left to Jetty");
        assertFalse(JettyDrain.deferIdle(new Object(), "CLOSED", 3, 1000));
        assertFalse(JettyDrain.deferIdle(new Object(), "LOCALLY_CLOSED", 0, 1000), "no stream left");
        long saved = Counters.get(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN);
        assertTrue(JettyDrain.deferIdle(new Object(), "LOCALLY_CLOSED", 3, 1000), "GOAWAY sent");
        assertEquals(saved + 3, Counters.get(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN));
        assertTrue(JettyDrain.deferIdle(new Object(), "REMOTELY_CLOSED", 1, 1000), "GOAWAY received");
    }

    @Test
    void theIdleTimeoutsOfASessionAreHeldBackWithinIdleDeferMaxInTotal() {
        H2patchRuntime.reportOnly = false;
        H2patchRuntime.idleDeferMaxMillis = 2500;
        Object session = new Object();
        assertTrue(JettyDrain.deferIdle(session, "LOCALLY_CLOSED", 1, 1000));
        assertTrue(JettyDrain.deferIdle(session, "LOCALLY_CLOSED", 1, 1000));
        long capped = Counters.get(Counters.CONNECTION_STATE_IDLE_CAPPED);
        assertFalse(JettyDrain.deferIdle(session, "LOCALLY_CLOSED", 1, 1000), "a third period would pass 2500 ms");
        assertEquals(capped + 1, Counters.get(Counters.CONNECTION_STATE_IDLE_CAPPED));
        assertFalse(JettyDrain.deferIdle(new Object(), "LOCALLY_CLOSED", 1, 3000), "one period already passes it");
    }

    @Test
    void theIdleTimeoutsOfASessionAreHeldBackWithinShutdownDrainMs() {
        H2patchRuntime.reportOnly = false;
        H2patchRuntime.shutdownDrainMillis = 0;
        Object session = new Object();
        assertTrue(JettyDrain.deferIdle(session, "LOCALLY_CLOSED", 1, 10), "the first deferral starts the drain");
        long timeouts = Counters.get(Counters.CONNECTION_STATE_DRAIN_TIMEOUT);
        assertFalse(JettyDrain.deferIdle(session, "LOCALLY_CLOSED", 1, 10), "shutdown-drain-ms has passed");
        assertEquals(timeouts + 1, Counters.get(Counters.CONNECTION_STATE_DRAIN_TIMEOUT));
    }

    @Test
    void inReportModeAnIdleTimeoutIsCountedAndLeftToJetty() {
        H2patchRuntime.reportOnly = true;
        long would = Counters.get(Counters.CONNECTION_STATE_WOULD_CHANGE);
        assertFalse(JettyDrain.deferIdle(new Object(), "LOCALLY_CLOSED", 2, 1000));
        assertEquals(would + 1, Counters.get(Counters.CONNECTION_STATE_WOULD_CHANGE));
        assertFalse(JettyDrain.deferIdle(new Object(), "NOT_CLOSED", 2, 1000));
        assertEquals(would + 1, Counters.get(Counters.CONNECTION_STATE_WOULD_CHANGE), "nothing to change: not counted");
    }

    @Test
    void onlyTheLastGoAwayOfAClosingSessionClosesTheConnectionOnceWritten() {
        H2patchRuntime.reportOnly = false;
        assertTrue(JettyDrain.closeAfterGoAway(false, 0, "LOCALLY_CLOSED", 0));
        assertFalse(JettyDrain.closeAfterGoAway(true, 0, "LOCALLY_CLOSED", 0), "the graceful GOAWAY(2^31-1)");
        assertFalse(JettyDrain.closeAfterGoAway(false, 2, "LOCALLY_CLOSED", 0), "an error GOAWAY");
        assertFalse(JettyDrain.closeAfterGoAway(false, 0, "NOT_CLOSED", 0));
        assertFalse(JettyDrain.closeAfterGoAway(false, 0, "REMOTELY_CLOSED", 0));
        assertFalse(JettyDrain.closeAfterGoAway(false, 0, "LOCALLY_CLOSED", 1), "a stream is left");
        H2patchRuntime.reportOnly = true;
        assertFalse(JettyDrain.closeAfterGoAway(false, 0, "LOCALLY_CLOSED", 0), "report mode");
    }

    @Test
    void aStopDrainsTheOpenSessionsOutsideReportMode() {
        H2patchRuntime.reportOnly = false;
        assertFalse(JettyDrain.stopGracefully(0), "no session");
        assertTrue(JettyDrain.stopGracefully(2));
        long saved = Counters.get(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN);
        JettyDrain.stoppingGracefully(4);
        JettyDrain.stoppingGracefully(0);
        assertEquals(saved + 4, Counters.get(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN));

        H2patchRuntime.reportOnly = true;
        long would = Counters.get(Counters.CONNECTION_STATE_WOULD_CHANGE);
        assertFalse(JettyDrain.stopGracefully(2));
        assertEquals(would + 1, Counters.get(Counters.CONNECTION_STATE_WOULD_CHANGE));
    }
}
