package dev.h2patch.bootstrap;

import static dev.h2patch.bootstrap.IdleDeferral.CAPPED;
import static dev.h2patch.bootstrap.IdleDeferral.DELIVER_NO_PROGRESS;
import static dev.h2patch.bootstrap.IdleDeferral.DELIVER_NO_STREAM;
import static dev.h2patch.bootstrap.IdleDeferral.HOLD;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The idle-deferral rule (docs/fixes/connection-state.md, "Idle"), without Netty: fingerprints are plain arrays. */
class IdleDeferralTest {
    private static final long PERIOD = 1000;
    private static final long CAP = 300000;

    private final Map<Object, IdleDeferral.Record> records = new HashMap<Object, IdleDeferral.Record>();
    private final Object handler = new Object();

    private int decide(int active, long... progress) {
        return decideWithCap(CAP, active, progress);
    }

    private int decideWithCap(long cap, int active, long... progress) {
        return IdleDeferral.decide(records, handler, PERIOD, active, progress, cap);
    }

    @Test
    void noActiveStreamIsDeliveredAndLeavesNoRecord() {
        assertEquals(DELIVER_NO_STREAM, decide(0, 1, 2, 3));
        assertFalse(records.containsKey(handler));
    }

    @Test
    void aDeadPeerGetsItsEventOnePeriodLate() {
        // First event with a stream open: no earlier fingerprint, held back once.
        assertEquals(HOLD, decide(1, 1, 1, 0, 65535, 65535));
        // Nothing moved since: delivered, and again at every later period.
        assertEquals(DELIVER_NO_PROGRESS, decide(1, 1, 1, 0, 65535, 65535));
        assertEquals(DELIVER_NO_PROGRESS, decide(1, 1, 1, 0, 65535, 65535));
        assertEquals(PERIOD, IdleDeferral.deferredMillis(records, handler));
    }

    @Test
    void aStreamThatKeepsSendingIsHeldBackEveryPeriod() {
        long window = 65535;
        for (int i = 0; i < 10; i++) {
            assertEquals(HOLD, decide(1, 1, 1, 0, window, 65535), "period " + i);
            window -= 50; // DATA sent since the previous event
        }
        // The stream stops sending: one more event, then the application's event.
        assertEquals(HOLD, decide(1, 1, 1, 0, window, 65535));
        assertEquals(DELIVER_NO_PROGRESS, decide(1, 1, 1, 0, window, 65535));
    }

    @Test
    void aNewStreamOrAStreamThatEndedIsProgress() {
        assertEquals(HOLD, decide(1, 1, 1));
        assertEquals(HOLD, decide(2, 2, 3), "a new stream opened (HEADERS received)");
        assertEquals(HOLD, decide(1, 1, 3), "a stream ended");
        assertEquals(DELIVER_NO_PROGRESS, decide(1, 1, 3));
    }

    @Test
    void theCapBoundsTheTotalHeldBackPerHandler() {
        long cap = 2500;
        long window = 65535;
        assertEquals(HOLD, decideWithCap(cap, 1, window--)); // 1000
        assertEquals(HOLD, decideWithCap(cap, 1, window--)); // 2000
        assertEquals(CAPPED, decideWithCap(cap, 1, window--), "a third period would make 3000 > 2500");
        assertEquals(CAPPED, decideWithCap(cap, 1, window--), "the total is never reset");
        assertEquals(2000, IdleDeferral.deferredMillis(records, handler));
    }

    @Test
    void aPeriodLongerThanTheCapIsNeverHeldBack() {
        assertEquals(CAPPED, decideWithCap(999, 1, 1));
    }

    @Test
    void afterAnEventWithNoStreamTheHistoryStillCounts() {
        assertEquals(HOLD, decide(1, 1, 1));
        assertEquals(DELIVER_NO_STREAM, decide(0, 1, 0));
        // Same stream set as at the last event with streams: nothing moved.
        assertEquals(DELIVER_NO_PROGRESS, decide(1, 1, 1));
    }

    @Test
    void handlersAreIndependent() {
        Object other = new Object();
        assertEquals(HOLD, decide(1, 1));
        assertEquals(HOLD, IdleDeferral.decide(records, other, PERIOD, 1, new long[] {1}, CAP));
        assertEquals(DELIVER_NO_PROGRESS, decide(1, 1));
    }

    @Test
    void theFingerprintIsCopied() {
        long[] progress = {1, 2};
        assertEquals(HOLD, decide(1, progress));
        progress[1] = 3;
        assertEquals(HOLD, decide(1, progress), "a changed array is progress even if the caller reuses it");
    }

    @Test
    void fixModeCountsWhatItHeldBackAndWhatTheCapDelivered() {
        long cap = H2patchRuntime.idleDeferMaxMillis;
        H2patchRuntime.idleDeferMaxMillis = 1500;
        try {
            Object key = new Object();
            long deferred = Counters.get(Counters.CONNECTION_STATE_IDLE_DEFERRED);
            long capped = Counters.get(Counters.CONNECTION_STATE_IDLE_CAPPED);
            assertTrue(IdleDeferral.holdBack(key, PERIOD, 1, new long[] {1}));
            assertFalse(IdleDeferral.holdBack(key, PERIOD, 1, new long[] {2}), "2000 ms > 1500 ms");
            assertFalse(IdleDeferral.holdBack(key, PERIOD, 1, new long[] {2}), "no progress");
            assertEquals(deferred + 1, Counters.get(Counters.CONNECTION_STATE_IDLE_DEFERRED));
            assertEquals(capped + 1, Counters.get(Counters.CONNECTION_STATE_IDLE_CAPPED));
        } finally {
            H2patchRuntime.idleDeferMaxMillis = cap;
        }
    }

    @Test
    void reportModeNeverHoldsBack() {
        boolean before = H2patchRuntime.reportOnly;
        H2patchRuntime.reportOnly = true;
        try {
            Object key = new Object();
            long wouldChange = Counters.get(Counters.CONNECTION_STATE_WOULD_CHANGE);
            assertFalse(IdleDeferral.holdBack(key, PERIOD, 1, new long[] {1}));
            assertEquals(wouldChange + 1, Counters.get(Counters.CONNECTION_STATE_WOULD_CHANGE));
        } finally {
            H2patchRuntime.reportOnly = before;
        }
    }

    @Test
    void onlyReaderAndAllIdleEventsHaveAPeriodToHoldBack() {
        assertEquals(1000, IdleDeferral.periodOf(true, false, 1000, 3000), "reader idle (and read timeouts)");
        assertEquals(3000, IdleDeferral.periodOf(false, true, 1000, 3000), "all idle");
        assertEquals(IdleDeferral.NEVER, IdleDeferral.periodOf(false, false, 1000, 3000),
                "writer idle: keepalive PINGs are sent from it");
    }

    @Test
    void theCapAllowsAPeriodOnlyWhileTheTotalStaysWithinIt() {
        assertTrue(IdleDeferral.withinCap(0, 1000, 1000), "exactly the cap");
        assertFalse(IdleDeferral.withinCap(1, 1000, 1000));
        assertFalse(IdleDeferral.withinCap(0, 1001, 1000), "a first period longer than the cap");
        assertTrue(IdleDeferral.withinCap(500, -5, 500), "a negative period counts as none");
        long cap = H2patchRuntime.idleDeferMaxMillis;
        H2patchRuntime.idleDeferMaxMillis = 2000;
        try {
            assertTrue(IdleDeferral.withinCap(1000, 1000), "idle-defer-max-ms");
            assertFalse(IdleDeferral.withinCap(1001, 1000));
        } finally {
            H2patchRuntime.idleDeferMaxMillis = cap;
        }
    }
}
