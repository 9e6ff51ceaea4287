package dev.h2patch.bootstrap.undertow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link UndertowShutdown} against a stand-in with Undertow's members: GOAWAY at shutdown, then the drain. */
class UndertowShutdownTest {

    private final boolean reportOnly = H2patchRuntime.reportOnly;
    private final long drain = H2patchRuntime.shutdownDrainMillis;

    @AfterEach
    void restore() {
        H2patchRuntime.reportOnly = reportOnly;
        H2patchRuntime.shutdownDrainMillis = drain;
        UndertowShutdown.stop();
    }

    @Test
    void idleConnectionsAreReturnedBusyOnesGetAGoAwayThatKeepsThemOpen() throws Exception {
        H2patchRuntime.reportOnly = false;
        FakeHttp2Channel idle = new FakeHttp2Channel(0);
        FakeHttp2Channel busy = new FakeHttp2Channel(2);
        FakeHttp2Channel closed = new FakeHttp2Channel(1);
        closed.open = false;
        FakeHttp2Channel client = new FakeHttp2Channel(1);
        UndertowShutdown.register(idle, false);
        UndertowShutdown.register(busy, false);
        UndertowShutdown.register(closed, false);
        UndertowShutdown.register(client, true);
        assertFalse(UndertowShutdown.isRegistered(client), "a client's connection is not the server's to drain");
        long saved = Counters.get(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN);

        List<Object> toClose = UndertowShutdown.shutdown();

        assertEquals(List.of(idle), toClose, "idle: Undertow's own sendGoAway (GOAWAY, then close)");
        assertEquals(1, busy.goAways.size(), "busy: one GOAWAY");
        assertEquals(0, busy.goAways.get(0).status, "NO_ERROR");
        assertEquals(3, busy.goAways.get(0).lastGoodStreamId);
        assertTrue(busy.thisGoneAway(), "as sendGoAway sets it");
        assertTrue(UndertowShutdown.keepsConnectionOpen(busy), "its GOAWAY is not Undertow's last frame");
        assertFalse(UndertowShutdown.keepsConnectionOpen(idle));
        assertEquals(0, busy.closes);
        assertTrue(closed.goAways.isEmpty());
        assertEquals(saved + 2, Counters.get(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN));
        assertFalse(UndertowShutdown.isRegistered(busy), "a shutdown happens once per connection");

        assertFalse(UndertowGoAway.closesNow(busy, 1), "a stream is still in flight");
        assertTrue(UndertowGoAway.closesNow(busy, 0), "the last one ended: the advice closes it");
    }

    @Test
    void theDrainIsBoundedByShutdownDrainMs() throws Exception {
        H2patchRuntime.reportOnly = false;
        H2patchRuntime.shutdownDrainMillis = 100;
        FakeHttp2Channel busy = new FakeHttp2Channel(1);
        UndertowShutdown.register(busy, false);
        long timeouts = Counters.get(Counters.CONNECTION_STATE_DRAIN_TIMEOUT);
        UndertowShutdown.shutdown();
        long deadline = System.currentTimeMillis() + 5000;
        while (busy.closes == 0 && System.currentTimeMillis() < deadline) {
            Thread.sleep(20);
        }
        assertEquals(1, busy.closes, "closed at the bound, its stream still in flight");
        assertEquals(timeouts + 1, Counters.get(Counters.CONNECTION_STATE_DRAIN_TIMEOUT));
        assertFalse(UndertowGoAway.closesNow(busy, 0), "and only once");
    }

    @Test
    void reportModeSendsNothing() throws Exception {
        H2patchRuntime.reportOnly = true;
        FakeHttp2Channel busy = new FakeHttp2Channel(1);
        UndertowShutdown.register(busy, false);
        long would = Counters.get(Counters.CONNECTION_STATE_WOULD_CHANGE);
        UndertowShutdown.shutdown();
        assertTrue(busy.goAways.isEmpty());
        assertFalse(busy.thisGoneAway());
        assertEquals(would + 1, Counters.get(Counters.CONNECTION_STATE_WOULD_CHANGE));
    }
}
