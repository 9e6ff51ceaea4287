package dev.h2patch.bootstrap.tomcat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The decision of {@link TomcatConnectionState} on a client's GOAWAY. */
class TomcatConnectionStateTest {

    private final boolean reportOnly = H2patchRuntime.reportOnly;

    @AfterEach
    void restore() {
        H2patchRuntime.reportOnly = reportOnly;
    }

    @Test
    void aGracefulGoawayWithStreamsInFlightKeepsTheConnection() {
        H2patchRuntime.reportOnly = false;
        long saved = Counters.get(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN);
        assertTrue(TomcatConnectionState.keepOpenAfterGoaway(0, 2));
        assertEquals(saved + 2, Counters.get(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN));
    }

    @Test
    void anErrorOrAnIdleConnectionClosesAsTomcatDoes() {
        H2patchRuntime.reportOnly = false;
        assertFalse(TomcatConnectionState.keepOpenAfterGoaway(0x1, 2), "PROTOCOL_ERROR");
        assertFalse(TomcatConnectionState.keepOpenAfterGoaway(0x2, 1), "INTERNAL_ERROR");
        assertFalse(TomcatConnectionState.keepOpenAfterGoaway(0, 0), "nothing in flight");
    }

    @Test
    void reportModeCountsAndCloses() {
        H2patchRuntime.reportOnly = true;
        long would = Counters.get(Counters.CONNECTION_STATE_WOULD_CHANGE);
        assertFalse(TomcatConnectionState.keepOpenAfterGoaway(0, 2));
        assertEquals(would + 1, Counters.get(Counters.CONNECTION_STATE_WOULD_CHANGE));
    }
}
