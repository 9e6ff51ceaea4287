package dev.h2patch.bootstrap.undertow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link UndertowGoAway}: which GOAWAY keeps the streams, the thread's mark, and the close after the last stream. */
class UndertowGoAwayTest {

    /** The shape of Undertow's {@code Http2FrameHeaderParser}: package-private {@code type} and {@code parser}. */
    static final class FakeHeader {
        int type;
        Object parser;

        FakeHeader(int type, Object parser) {
            this.type = type;
            this.parser = parser;
        }
    }

    private final boolean reportOnly = H2patchRuntime.reportOnly;

    @AfterEach
    void restore() {
        H2patchRuntime.reportOnly = reportOnly;
        UndertowGoAway.handled();
    }

    @Test
    void theParserOfAGoAwayFrameOnly() throws Exception {
        Object parser = new Object();
        assertSame(parser, UndertowGoAway.goAwayParser(new FakeHeader(7, parser)));
        assertNull(UndertowGoAway.goAwayParser(new FakeHeader(0, parser)), "DATA");
        assertNull(UndertowGoAway.goAwayParser(new FakeHeader(3, parser)), "RST_STREAM");
    }

    @Test
    void aClientsGracefulGoAwayWithStreamsKeepsThemUntilTheLastEnds() {
        H2patchRuntime.reportOnly = false;
        Object channel = new Object();
        long saved = Counters.get(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN);
        assertTrue(UndertowGoAway.goAwayKeepingStreams(channel, false, 0, 2));
        assertEquals(saved + 2, Counters.get(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN));
        assertTrue(UndertowGoAway.handling(channel) && UndertowGoAway.handlingAny());
        assertFalse(UndertowGoAway.handling(new Object()));
        assertFalse(UndertowGoAway.closesNow(channel, 0), "not while the GOAWAY itself is being handled");
        UndertowGoAway.handled();
        assertFalse(UndertowGoAway.handlingAny());
        assertFalse(UndertowGoAway.closesNow(channel, 1), "a stream is still in flight");
        assertTrue(UndertowGoAway.isDraining(channel));
        assertTrue(UndertowGoAway.closesNow(channel, 0), "the last stream ended");
        assertFalse(UndertowGoAway.closesNow(channel, 0), "exactly once");
        assertFalse(UndertowGoAway.isDraining(channel));
    }

    @Test
    void otherGoAwaysKeepUndertowsBehaviour() {
        H2patchRuntime.reportOnly = false;
        Object channel = new Object();
        assertFalse(UndertowGoAway.goAwayKeepingStreams(channel, false, 2, 2), "INTERNAL_ERROR: something broke");
        assertFalse(UndertowGoAway.goAwayKeepingStreams(channel, false, 0, 0), "nothing in flight");
        assertFalse(UndertowGoAway.goAwayKeepingStreams(channel, true, 0, 2), "a server's GOAWAY to Undertow's client");
        assertFalse(UndertowGoAway.handlingAny());
        assertFalse(UndertowGoAway.closesNow(channel, 0), "never remembered");
    }

    @Test
    void reportModeCountsAndChangesNothing() {
        H2patchRuntime.reportOnly = true;
        long would = Counters.get(Counters.CONNECTION_STATE_WOULD_CHANGE);
        Object channel = new Object();
        assertFalse(UndertowGoAway.goAwayKeepingStreams(channel, false, 0, 2));
        assertEquals(would + 1, Counters.get(Counters.CONNECTION_STATE_WOULD_CHANGE));
        assertFalse(UndertowGoAway.handlingAny());
    }
}
