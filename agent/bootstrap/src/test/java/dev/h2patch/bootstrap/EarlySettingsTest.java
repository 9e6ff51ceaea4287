package dev.h2patch.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The early-settings bookkeeping Netty and Jetty share: marks, the ACK accounting, the claim, the flag, the bytes. */
class EarlySettingsTest {

    @Test
    void aConnectionIsMarkedOnceAndItsFirstAckIsTakenOnce() {
        EarlySettings.Connections connections = new EarlySettings.Connections();
        Object connection = new Object();
        Object other = new Object();
        assertFalse(connections.anyPending());
        assertFalse(connections.isMarked(connection));
        assertFalse(connections.takeAck(connection), "nothing marked: the ACK goes to the library");

        assertTrue(connections.mark(connection));
        assertFalse(connections.mark(connection), "a connection is marked once");
        assertTrue(connections.anyPending());
        assertTrue(connections.isMarked(connection));
        assertFalse(connections.isMarked(other));
        assertFalse(connections.takeAck(other), "another connection's ACK is not taken");
        assertTrue(connections.takeAck(connection), "the first ACK is taken");
        assertFalse(connections.takeAck(connection), "the second ACK goes to the library");
        assertFalse(connections.isMarked(connection));
        assertFalse(connections.anyPending());
    }

    @Test
    void eachLibraryKeepsItsOwnConnections() {
        EarlySettings.Connections jetty = new EarlySettings.Connections();
        Object connection = new Object();
        assertTrue(jetty.mark(connection));
        assertFalse(EarlySettings.isMarked(connection), "Netty's marks are another set");
        assertFalse(EarlySettings.takeAck(connection));
        assertTrue(jetty.isMarked(connection));
    }

    @Test
    void theNettyEntryPointsKeepTheirMeaning() {
        Object channel = new Object();
        assertTrue(EarlySettings.mark(channel));
        assertFalse(EarlySettings.mark(channel));
        assertTrue(EarlySettings.anyPending());
        assertTrue(EarlySettings.isMarked(channel));
        assertTrue(EarlySettings.takeAck(channel));
        assertFalse(EarlySettings.takeAck(channel));
        assertFalse(EarlySettings.isMarked(channel));
    }

    @Test
    void aClaimMarksOnceAndInReportModeOnlyCounts() {
        EarlySettings.Connections connections = new EarlySettings.Connections();
        Object connection = new Object();
        boolean before = H2patchRuntime.reportOnly;
        try {
            H2patchRuntime.reportOnly = true;
            long wouldSend = Counters.get(Counters.EARLY_SETTINGS_WOULD_SEND);
            assertFalse(connections.claim(connection));
            assertEquals(wouldSend + 1, Counters.get(Counters.EARLY_SETTINGS_WOULD_SEND));
            assertFalse(connections.isMarked(connection), "report mode marks nothing");

            H2patchRuntime.reportOnly = false;
            assertTrue(connections.claim(connection));
            assertFalse(connections.claim(connection), "once per connection");
            assertTrue(connections.isMarked(connection));
        } finally {
            H2patchRuntime.reportOnly = before;
        }
    }

    static class Handler {
        private boolean flushPreface;
        private int notABoolean = 1;

        Handler(boolean flushPreface) {
            this.flushPreface = flushPreface;
        }
    }

    static final class SubHandler extends Handler {
        SubHandler(boolean flushPreface) {
            super(flushPreface);
        }
    }

    @Test
    void aFlagIsReadFromTheClassOrItsSuperclassesAndElseIsTheCallersDefault() {
        EarlySettings.Flag flag = new EarlySettings.Flag("flushPreface");
        assertTrue(flag.read(new Handler(true), false));
        assertFalse(flag.read(new Handler(false), true));
        assertFalse(flag.read(new SubHandler(false), true), "declared by a superclass");
        assertTrue(flag.read(new Object(), true), "no such field: the default");
        assertFalse(flag.read(new Object(), false), "no such field: the default");
        assertTrue(new EarlySettings.Flag("notABoolean").read(new Handler(false), true), "not a boolean: the default");
    }

    @Test
    void nettysFlushPrefaceIsWantedUnlessTurnedOff() {
        assertTrue(EarlySettings.flushPrefaceWanted(new Handler(true)));
        assertFalse(EarlySettings.flushPrefaceWanted(new Handler(false)));
        assertTrue(EarlySettings.flushPrefaceWanted(new Object()), "before 4.1.78 there is no setting: wanted");
    }
}
