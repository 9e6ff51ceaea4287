package dev.h2patch.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The proxy-safe-reset decisions every library shares (docs/fixes/proxy-safe-reset.md, "The fix"). */
class ProxySafeResetTest {

    @AfterEach
    void fixMode() {
        H2patchRuntime.reportOnly = false;
    }

    @Test
    void onlyTheClientsOwnProtocolViolationsAreItsFault() {
        // RFC 9113 §7: 0x1 PROTOCOL_ERROR, 0x3 FLOW_CONTROL_ERROR, 0x5 STREAM_CLOSED, 0x6 FRAME_SIZE_ERROR.
        for (long code = 0; code <= 0xd; code++) {
            boolean expected = code == 0x1 || code == 0x3 || code == 0x5 || code == 0x6;
            assertEquals(expected, ProxySafeReset.isClientsFault(code), "code 0x" + Long.toHexString(code));
        }
        assertFalse(ProxySafeReset.isClientsFault(0x8), "CANCEL: the server losing interest");
        assertFalse(ProxySafeReset.isClientsFault(0x100000001L), "no truncation to int");
    }

    @Test
    void aResetAfterACompleteResponseIsChangedUnlessItIsTheClientsFaultOrAlreadySent() {
        long wouldChange = Counters.get(Counters.PROXY_SAFE_RESET_WOULD_CHANGE);
        assertTrue(ProxySafeReset.changes(0x8, false), "CANCEL");
        assertTrue(ProxySafeReset.changes(0x2, false), "INTERNAL_ERROR");
        assertTrue(ProxySafeReset.changes(0x0, false), "NO_ERROR: still held back");
        assertFalse(ProxySafeReset.changes(0x1, false), "PROTOCOL_ERROR");
        assertFalse(ProxySafeReset.changes(0x8, true), "the library already reset the stream");
        assertEquals(wouldChange, Counters.get(Counters.PROXY_SAFE_RESET_WOULD_CHANGE), "fix mode counts nothing");
    }

    @Test
    void reportModeChangesNothingAndCountsWhatItWouldHaveChanged() {
        H2patchRuntime.reportOnly = true;
        long wouldChange = Counters.get(Counters.PROXY_SAFE_RESET_WOULD_CHANGE);
        assertFalse(ProxySafeReset.changes(0x8, false));
        assertEquals(wouldChange + 1, Counters.get(Counters.PROXY_SAFE_RESET_WOULD_CHANGE));
        assertFalse(ProxySafeReset.changes(0x1, false), "the client's fault");
        assertFalse(ProxySafeReset.changes(0x8, true), "already sent");
        assertEquals(wouldChange + 1, Counters.get(Counters.PROXY_SAFE_RESET_WOULD_CHANGE),
                "only what the fix would really have changed is counted");
    }

    @Test
    void aResetThatCannotBeHeldBackGoesOutAsNoErrorCountedOnlyWhenRewritten() {
        long rewritten = Counters.get(Counters.PROXY_SAFE_RESET_REWRITTEN);
        assertEquals(ProxySafeReset.NO_ERROR, ProxySafeReset.codeSentAtOnce(0x8));
        assertEquals(rewritten + 1, Counters.get(Counters.PROXY_SAFE_RESET_REWRITTEN));
        assertEquals(ProxySafeReset.NO_ERROR, ProxySafeReset.codeSentAtOnce(0x0));
        assertEquals(rewritten + 1, Counters.get(Counters.PROXY_SAFE_RESET_REWRITTEN), "NO_ERROR is not rewritten");
    }
}
