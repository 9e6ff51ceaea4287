package dev.h2patch.bootstrap.undertow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link UndertowEarlySettings} against a stand-in with Undertow's private members. */
class UndertowEarlySettingsTest {

    /** The shape of {@code Http2Channel}'s part: the flag and the private method, as in Undertow 2.2 to 2.4. */
    static class FakeChannel {
        private boolean initialSettingsSent;
        int settingsFrames;

        private void sendSettings() {
            settingsFrames++;
        }
    }

    static final class FakeSubclass extends FakeChannel {
    }

    static final class NotAChannel {
    }

    private final boolean reportOnly = H2patchRuntime.reportOnly;

    @AfterEach
    void restore() {
        H2patchRuntime.reportOnly = reportOnly;
    }

    @Test
    void aServerChannelSendsItsSettingsOnceAndSetsTheFlag() throws Exception {
        H2patchRuntime.reportOnly = false;
        long flushed = Counters.get(Counters.EARLY_SETTINGS_FLUSHED);
        FakeChannel channel = new FakeChannel();
        assertTrue(UndertowEarlySettings.sendIfLazy(channel, false));
        assertTrue(channel.initialSettingsSent);
        assertEquals(1, channel.settingsFrames);
        assertFalse(UndertowEarlySettings.sendIfLazy(channel, false), "already sent: Undertow's flag says so");
        assertEquals(1, channel.settingsFrames);
        assertEquals(flushed + 1, Counters.get(Counters.EARLY_SETTINGS_FLUSHED));
    }

    @Test
    void membersAreFoundInASuperclass() throws Exception {
        H2patchRuntime.reportOnly = false;
        FakeSubclass channel = new FakeSubclass();
        assertTrue(UndertowEarlySettings.sendIfLazy(channel, false));
        assertEquals(1, channel.settingsFrames);
    }

    @Test
    void clientsAndChannelsThatAlreadySentAreLeftAlone() throws Exception {
        H2patchRuntime.reportOnly = false;
        FakeChannel client = new FakeChannel();
        assertFalse(UndertowEarlySettings.sendIfLazy(client, true));
        assertEquals(0, client.settingsFrames);
        assertFalse(UndertowEarlySettings.sendsNow(false, true));
        assertFalse(UndertowEarlySettings.sendsNow(true, false));
    }

    @Test
    void reportModeCountsAndSendsNothing() throws Exception {
        H2patchRuntime.reportOnly = true;
        long would = Counters.get(Counters.EARLY_SETTINGS_WOULD_FLUSH);
        FakeChannel channel = new FakeChannel();
        assertFalse(UndertowEarlySettings.sendIfLazy(channel, false));
        assertEquals(0, channel.settingsFrames);
        assertFalse(channel.initialSettingsSent);
        assertEquals(would + 1, Counters.get(Counters.EARLY_SETTINGS_WOULD_FLUSH));
    }

    @Test
    void aClassWithoutTheMembersFailsLoudly() {
        assertThrows(IllegalStateException.class, () -> UndertowEarlySettings.sendIfLazy(new NotAChannel(), false));
    }
}
