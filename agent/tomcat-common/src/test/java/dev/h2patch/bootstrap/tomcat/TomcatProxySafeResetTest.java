package dev.h2patch.bootstrap.tomcat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The decisions of {@link TomcatProxySafeReset}. */
class TomcatProxySafeResetTest {

    private final boolean reportOnly = H2patchRuntime.reportOnly;

    @AfterEach
    void restore() {
        H2patchRuntime.reportOnly = reportOnly;
    }

    @Test
    void codesAreTheRfcs() {
        assertEquals(0, TomcatProxySafeReset.code("NO_ERROR"));
        assertEquals(8, TomcatProxySafeReset.code("CANCEL"));
        assertEquals(13, TomcatProxySafeReset.code("HTTP_1_1_REQUIRED"));
        assertEquals(-1, TomcatProxySafeReset.code("SOMETHING_ELSE"));
        assertEquals(-1, TomcatProxySafeReset.code(null));
    }

    @Test
    void aResetOfACompleteResponseIsHeldBack() {
        H2patchRuntime.reportOnly = false;
        assertEquals(TomcatProxySafeReset.HOLD, TomcatProxySafeReset.onClose("CANCEL", "HALF_CLOSED_LOCAL", false),
                "9.0.70");
        assertEquals(TomcatProxySafeReset.HOLD, TomcatProxySafeReset.onClose("NO_ERROR", "HALF_CLOSED_LOCAL", false),
                "9.0.71 and later");
    }

    @Test
    void abortsClientFaultsAndClosedStreamsPass() {
        H2patchRuntime.reportOnly = false;
        assertEquals(TomcatProxySafeReset.PASS, TomcatProxySafeReset.onClose("CANCEL", "OPEN", false), "an abort");
        assertEquals(TomcatProxySafeReset.PASS, TomcatProxySafeReset.onClose("CANCEL", "HALF_CLOSED_REMOTE", false));
        assertEquals(TomcatProxySafeReset.PASS, TomcatProxySafeReset.onClose("CANCEL", "CLOSED_RX", false),
                "the client has ended too");
        assertEquals(TomcatProxySafeReset.PASS,
                TomcatProxySafeReset.onClose("PROTOCOL_ERROR", "HALF_CLOSED_LOCAL", false), "the client's fault");
        assertEquals(TomcatProxySafeReset.PASS,
                TomcatProxySafeReset.onClose("FLOW_CONTROL_ERROR", "HALF_CLOSED_LOCAL", false));
        assertEquals(TomcatProxySafeReset.PASS, TomcatProxySafeReset.onClose("UNKNOWN", "HALF_CLOSED_LOCAL", false));
    }

    @Test
    void anotherResetWhileOneIsHeldGoesOutAsNoError() {
        assertEquals(TomcatProxySafeReset.NO_ERROR, TomcatProxySafeReset.onClose("CANCEL", "HALF_CLOSED_LOCAL", true));
        assertEquals(TomcatProxySafeReset.NO_ERROR, TomcatProxySafeReset.onClose("INTERNAL_ERROR", "OPEN", true));
        assertEquals(TomcatProxySafeReset.PASS, TomcatProxySafeReset.onClose("NO_ERROR", "HALF_CLOSED_LOCAL", true));
    }

    @Test
    void reportModeCountsAndPasses() {
        H2patchRuntime.reportOnly = true;
        long would = Counters.get(Counters.PROXY_SAFE_RESET_WOULD_CHANGE);
        assertEquals(TomcatProxySafeReset.PASS, TomcatProxySafeReset.onClose("CANCEL", "HALF_CLOSED_LOCAL", false));
        assertEquals(would + 1, Counters.get(Counters.PROXY_SAFE_RESET_WOULD_CHANGE));
    }

    @Test
    void whatCannotBeHeldGoesOutAsNoError() {
        long rewritten = Counters.get(Counters.PROXY_SAFE_RESET_REWRITTEN);
        assertEquals(TomcatProxySafeReset.NO_ERROR, TomcatProxySafeReset.cannotHold("CANCEL"));
        assertEquals(TomcatProxySafeReset.PASS, TomcatProxySafeReset.cannotHold("NO_ERROR"));
        assertEquals(rewritten + 1, Counters.get(Counters.PROXY_SAFE_RESET_REWRITTEN));
    }

    @Test
    void smallNonFinalFramesAreChargedAtTheOverheadThreshold() {
        assertEquals(1024, TomcatProxySafeReset.chargedBytes(5, false, 1024));
        assertEquals(1024, TomcatProxySafeReset.chargedBytes(0, false, 1024), "an empty frame is not free");
        assertEquals(16384, TomcatProxySafeReset.chargedBytes(16384, false, 1024));
        assertEquals(5, TomcatProxySafeReset.chargedBytes(5, true, 1024), "Tomcat does not count a final frame");
        assertEquals(5, TomcatProxySafeReset.chargedBytes(5, false, 0), "overhead protection off");
    }
}
