package dev.h2patch.bootstrap.jetty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.eclipse.jetty.http2.server.AbstractHTTP2ServerConnectionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The decisions of {@link JettyEarlySettings}, with stand-ins named like Jetty's classes. */
class JettyEarlySettingsTest {

    /** Like HTTP2CServerConnectionFactory: a subclass of the HTTP/2 server base. */
    static final class H2c extends AbstractHTTP2ServerConnectionFactory {
    }

    /** Like HttpConnectionFactory, DetectorConnectionFactory or an application's relay factory. */
    static final class Other {
    }

    /** Like Jetty's ServerParser: {@code notifyPreface} is false after an h2c upgrade. */
    static final class Parser {
        private boolean notifyPreface;

        Parser(boolean notifyPreface) {
            this.notifyPreface = notifyPreface;
        }
    }

    private static final ByteBuffer PREFACE = ByteBuffer.wrap(
            "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

    private final boolean reportOnly = H2patchRuntime.reportOnly;
    private final boolean sniffers = H2patchRuntime.earlySettingsSniffers;

    @AfterEach
    void restore() {
        H2patchRuntime.reportOnly = reportOnly;
        H2patchRuntime.earlySettingsSniffers = sniffers;
    }

    @Test
    void aConnectorServesHttp2OnlyWithAnHttp2ServerFactory() {
        assertTrue(JettyEarlySettings.servesHttp2(Arrays.asList(new Other(), new H2c())));
        assertFalse(JettyEarlySettings.servesHttp2(Arrays.asList(new Other(), new Other())),
                "a detector in front of a relay: nothing of this process will serve HTTP/2");
        assertFalse(JettyEarlySettings.servesHttp2(Collections.emptyList()));
        assertFalse(JettyEarlySettings.servesHttp2(null));
        assertFalse(JettyEarlySettings.servesHttp2(Collections.singletonList(null)));
    }

    @Test
    void aDetectorHoldsThePrefaceOnlyWholeAndOnlyWithTheSnifferPartOn() {
        assertTrue(JettyEarlySettings.holdsPreface(PREFACE.duplicate()));
        assertFalse(JettyEarlySettings.holdsPreface(null));
        assertFalse(JettyEarlySettings.holdsPreface(ByteBuffer.wrap(new byte[] {'P', 'R', 'I'})));
        H2patchRuntime.earlySettingsSniffers = false;
        assertFalse(JettyEarlySettings.holdsPreface(PREFACE.duplicate()), "early-settings-sniffers=off");
    }

    @Test
    void aDetectorIsAnsweredOnceOnAnOpenEndpointOfAnHttp2Connector() {
        H2patchRuntime.reportOnly = false;
        List<Object> h2c = Arrays.<Object>asList(new Other(), new H2c());
        Object connection = new Object();
        assertFalse(JettyEarlySettings.claimDetector(connection, false, h2c), "closed endpoint");
        assertFalse(JettyEarlySettings.claimDetector(connection, true, Collections.<Object>singletonList(new Other())),
                "no HTTP/2 server factory: a relay");
        assertTrue(JettyEarlySettings.claimDetector(connection, true, h2c));
        assertFalse(JettyEarlySettings.claimDetector(connection, true, h2c), "once per connection");
        assertTrue(JettyEarlySettings.claimDetector(new Object(), true, h2c), "another connection");
    }

    @Test
    void inReportModeADetectorIsCountedAndNotAnswered() {
        H2patchRuntime.reportOnly = true;
        long wouldSend = Counters.get(Counters.EARLY_SETTINGS_WOULD_SEND);
        Object connection = new Object();
        List<Object> h2c = Collections.<Object>singletonList(new H2c());
        assertFalse(JettyEarlySettings.claimDetector(connection, true, h2c));
        assertEquals(wouldSend + 1, Counters.get(Counters.EARLY_SETTINGS_WOULD_SEND));
        H2patchRuntime.reportOnly = false;
        assertTrue(JettyEarlySettings.claimDetector(connection, true, h2c), "report mode marked nothing");
    }

    @Test
    void settingsAreFlushedAtOpenOnlyWhileTheParserStillNotifiesThePreface() {
        H2patchRuntime.reportOnly = false;
        assertTrue(JettyEarlySettings.flushAtOpen(new Parser(true)));
        assertFalse(JettyEarlySettings.flushAtOpen(new Parser(false)), "after Upgrade: h2c the SETTINGS are out");
        assertFalse(JettyEarlySettings.flushAtOpen(new Object()), "no such field: the fix does nothing");

        H2patchRuntime.reportOnly = true;
        long wouldFlush = Counters.get(Counters.EARLY_SETTINGS_WOULD_FLUSH);
        assertFalse(JettyEarlySettings.flushAtOpen(new Parser(true)));
        assertEquals(wouldFlush + 1, Counters.get(Counters.EARLY_SETTINGS_WOULD_FLUSH));
        assertFalse(JettyEarlySettings.flushAtOpen(new Parser(false)));
        assertEquals(wouldFlush + 1, Counters.get(Counters.EARLY_SETTINGS_WOULD_FLUSH), "nothing to count");
    }
}
