package dev.h2patch.bootstrap.jetty;

import static dev.h2patch.bootstrap.jetty.JettyProxySafeReset.DEFER;
import static dev.h2patch.bootstrap.jetty.JettyProxySafeReset.NO_ERROR;
import static dev.h2patch.bootstrap.jetty.JettyProxySafeReset.PASS;
import static dev.h2patch.bootstrap.jetty.JettyProxySafeReset.SKIP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import dev.h2patch.bootstrap.fake.FakeStream;
import dev.h2patch.bootstrap.fake.ResetFrame;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The decisions of {@link JettyProxySafeReset}, which the reset, process and data advice of every Jetty line ask. */
class JettyProxySafeResetTest {

    private static final int CANCEL = 8;

    private final boolean reportOnly = H2patchRuntime.reportOnly;
    private final long resetDeferBytes = H2patchRuntime.resetDeferBytes;

    @AfterEach
    void restore() {
        H2patchRuntime.reportOnly = reportOnly;
        H2patchRuntime.resetDeferBytes = resetDeferBytes;
        JettyDeferredResets.stop();
    }

    private static Object deferral() {
        Object deferral = JettyDeferredResets.reserve(new Object(), new FakeStream(), new ResetFrame(), null);
        assertNotNull(deferral);
        return deferral;
    }

    @Test
    void anAbortWhileNothingIsHeldBackIsNotLookedAt() {
        assertFalse(JettyDeferredResets.anyDeferred());
        assertFalse(JettyProxySafeReset.concerns(false, false), "the common path");
        assertTrue(JettyProxySafeReset.concerns(true, false), "a complete response");
        assertTrue(JettyProxySafeReset.concerns(false, true), "a closed stream");
        Object deferral = deferral();
        assertTrue(JettyProxySafeReset.concerns(false, false), "something is held back somewhere");
        JettyDeferredResets.onClosed(deferral);
    }

    @Test
    void anAbortOfAnIncompleteResponsePassesUnchanged() {
        assertEquals(PASS, JettyProxySafeReset.onReset(false, false, CANCEL, null, null));
        assertEquals(PASS, JettyProxySafeReset.onReset(false, true, CANCEL, null, null), "closed, no fix ended it");
    }

    @Test
    void aResetOfAClosedStreamTheEndStreamFixEndedIsDropped() {
        assertEquals(SKIP, JettyProxySafeReset.onReset(false, true, CANCEL, null, Boolean.TRUE));
        assertEquals(PASS, JettyProxySafeReset.onReset(false, false, CANCEL, null, Boolean.TRUE), "not closed yet");
    }

    @Test
    void aDeferralFiringForAStreamClosedMeanwhileSendsNothing() {
        Object deferral = deferral();
        assertEquals(PASS, JettyProxySafeReset.onReset(false, true, 0, deferral, null), "still held: not firing");
        assertEquals(PASS, JettyProxySafeReset.onReset(true, false, 0, deferral, null), "fired now, as NO_ERROR");
        assertTrue(JettyDeferredResets.isFiring(deferral));
        assertEquals(SKIP, JettyProxySafeReset.onReset(false, true, 0, deferral, null), "closed meanwhile: dropped");
        assertEquals(PASS, JettyProxySafeReset.onReset(false, false, 0, deferral, null), "not closed: sent");
    }

    @Test
    void anotherResetOfAHeldBackStreamGoesOutNowAsNoError() {
        Object deferral = deferral();
        assertEquals(NO_ERROR, JettyProxySafeReset.onReset(true, false, CANCEL, deferral, null));
        assertTrue(JettyDeferredResets.isFiring(deferral));
        assertFalse(JettyDeferredResets.anyDeferred(), "its slot is free");
    }

    @Test
    void theHeldBackResetAskedAgainIsDroppedAndStaysHeldBack() {
        // Jetty 12.1.3 (before jetty/jetty.project#13814) completes the exchange twice: HttpStreamOverHTTP2
        // .failed(CONTENT_NOT_CONSUMED) asks RST_STREAM(NO_ERROR) from the handler's callback and again when the
        // handler returns.
        H2patchRuntime.reportOnly = false;
        for (int code : new int[] {0, CANCEL}) {
            assertEquals(DEFER, JettyProxySafeReset.onReset(true, false, code, null, null), "code " + code);
            Object deferral = deferral();
            assertEquals(SKIP, JettyProxySafeReset.hold(deferral, code), "held back");
            assertEquals(SKIP, JettyProxySafeReset.onReset(true, false, code, deferral, null), "asked again: dropped");
            assertTrue(JettyDeferredResets.isHeld(deferral), "still held back, under the same bounds");
            assertTrue(JettyDeferredResets.anyDeferred());
            assertFalse(JettyDeferredResets.isFiring(deferral));
            JettyDeferredResets.onClosed(deferral);
        }
    }

    @Test
    void aResetWithAnotherCodeWhileHeldBackStillGoesOutNowAsNoError() {
        Object deferral = deferral();
        assertEquals(SKIP, JettyProxySafeReset.hold(deferral, 0));
        assertEquals(NO_ERROR, JettyProxySafeReset.onReset(true, false, CANCEL, deferral, null), "an idle timeout");
        assertTrue(JettyDeferredResets.isFiring(deferral));
        assertEquals(PASS, JettyProxySafeReset.onReset(true, false, 0, deferral, null), "fired: not a repeat any more");
    }

    @Test
    void aDeferralNotToldItsCodeSeesNoRepeat() {
        Object deferral = deferral();
        assertTrue(JettyDeferredResets.schedule(deferral, 60000));
        assertFalse(JettyDeferredResets.isRepeat(deferral, 0));
        assertFalse(JettyDeferredResets.isRepeat(deferral, CANCEL));
    }

    @Test
    void theHeldBackResetAskedAgainAfterTheClientEndedItsUploadIsDropped() {
        Object deferral = deferral();
        assertEquals(SKIP, JettyProxySafeReset.hold(deferral, 0));
        assertFalse(JettyProxySafeReset.onFrame(deferral, "DATA", 5, true), "the client's END_STREAM");
        assertFalse(JettyDeferredResets.isHeld(deferral));
        assertFalse(JettyDeferredResets.isRepeat(deferral, 0), "ended: nothing held back any more");
        assertEquals(SKIP, JettyProxySafeReset.onReset(false, true, 0, deferral, null), "closed stream: no reset");

        Object reset = deferral();
        assertEquals(SKIP, JettyProxySafeReset.hold(reset, CANCEL));
        assertFalse(JettyProxySafeReset.onFrame(reset, "RST_STREAM", 0, false), "the client's reset");
        assertEquals(SKIP, JettyProxySafeReset.onReset(false, true, CANCEL, reset, null), "no reset answers a reset");
    }

    @Test
    void theClientsOwnViolationsPassAndOtherResetsOfACompleteResponseAreHeldBack() {
        for (int code : new int[] {1, 3, 5, 6}) {
            assertEquals(PASS, JettyProxySafeReset.onReset(true, false, code, null, null), "code " + code);
        }
        H2patchRuntime.reportOnly = false;
        assertEquals(DEFER, JettyProxySafeReset.onReset(true, false, CANCEL, null, null));
        assertEquals(DEFER, JettyProxySafeReset.onReset(true, false, 0, null, null));
        assertEquals(DEFER, JettyProxySafeReset.onReset(true, true, 2, null, null));
    }

    @Test
    void inReportModeAResetIsCountedAndPasses() {
        H2patchRuntime.reportOnly = true;
        long would = Counters.get(Counters.PROXY_SAFE_RESET_WOULD_CHANGE);
        assertEquals(PASS, JettyProxySafeReset.onReset(true, false, CANCEL, null, null));
        assertEquals(would + 1, Counters.get(Counters.PROXY_SAFE_RESET_WOULD_CHANGE));
    }

    @Test
    void aHeldBackResetSkipsTheMethodAndOneThatCannotBeHeldGoesOutAsNoError() {
        long deferred = Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED);
        long rewritten = Counters.get(Counters.PROXY_SAFE_RESET_REWRITTEN);
        Object deferral = deferral();
        assertEquals(SKIP, JettyProxySafeReset.hold(deferral, CANCEL));
        assertEquals(deferred + 1, Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED));
        assertFalse(JettyDeferredResets.isFiring(deferral));

        assertEquals(NO_ERROR, JettyProxySafeReset.hold(null, CANCEL), "no slot left");
        assertEquals(rewritten + 1, Counters.get(Counters.PROXY_SAFE_RESET_REWRITTEN));
        assertEquals(PASS, JettyProxySafeReset.hold(null, 0), "already NO_ERROR: nothing to rewrite");
        assertEquals(rewritten + 1, Counters.get(Counters.PROXY_SAFE_RESET_REWRITTEN));
    }

    @Test
    void theClientsEndStreamEndsTheDeferralWithNoReset() {
        long avoided = Counters.get(Counters.PROXY_SAFE_RESET_AVOIDED);
        Object data = deferral();
        assertFalse(JettyProxySafeReset.onFrame(data, "DATA", 10, false));
        assertFalse(JettyProxySafeReset.onFrame(data, "DATA", 10, true));
        Object trailers = deferral();
        assertFalse(JettyProxySafeReset.onFrame(trailers, "HEADERS", 0, false), "trailers without END_STREAM");
        assertTrue(JettyDeferredResets.anyDeferred());
        assertFalse(JettyProxySafeReset.onFrame(trailers, "HEADERS", 0, true));
        assertEquals(avoided + 2, Counters.get(Counters.PROXY_SAFE_RESET_AVOIDED));
        assertFalse(JettyDeferredResets.anyDeferred());
    }

    @Test
    void pastTheByteBoundTheResetIsSentOnce() {
        H2patchRuntime.resetDeferBytes = 100;
        long bytes = Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED_BYTES);
        Object deferral = deferral();
        assertFalse(JettyProxySafeReset.onFrame(deferral, "DATA", 60, false));
        assertFalse(JettyProxySafeReset.onFrame(deferral, "DATA", 40, false), "at the bound, not past it");
        assertTrue(JettyProxySafeReset.onFrame(deferral, "DATA", 1, false), "past it: send the reset now");
        assertFalse(JettyProxySafeReset.onFrame(deferral, "DATA", 1000, false), "once");
        assertEquals(bytes + 1, Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED_BYTES));
        assertTrue(JettyDeferredResets.isFiring(deferral));
    }

    @Test
    void aClientResetOrAFailureDropsTheDeferralAndOtherFramesChangeNothing() {
        Object deferral = deferral();
        assertFalse(JettyProxySafeReset.onFrame(deferral, "WINDOW_UPDATE", 0, false));
        assertFalse(JettyProxySafeReset.onFrame(deferral, "PRIORITY", 0, false));
        assertTrue(JettyDeferredResets.anyDeferred());
        assertFalse(JettyProxySafeReset.onFrame(deferral, "RST_STREAM", 0, false));
        assertFalse(JettyDeferredResets.anyDeferred());
        assertFalse(JettyDeferredResets.isFiring(deferral), "dropped, not sent");

        Object failed = deferral();
        assertFalse(JettyProxySafeReset.onFrame(failed, "FAILURE", 0, false));
        assertFalse(JettyDeferredResets.anyDeferred());
    }
}
