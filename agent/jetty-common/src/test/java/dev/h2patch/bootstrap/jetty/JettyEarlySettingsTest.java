package dev.h2patch.bootstrap.jetty;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import org.eclipse.jetty.http2.server.AbstractHTTP2ServerConnectionFactory;
import org.junit.jupiter.api.Test;

/** The decisions of {@link JettyEarlySettings}, with stand-ins named like Jetty's classes. */
class JettyEarlySettingsTest {

    /** Like HTTP2CServerConnectionFactory: a subclass of the HTTP/2 server base. */
    static final class H2c extends AbstractHTTP2ServerConnectionFactory {
    }

    /** Like HttpConnectionFactory, DetectorConnectionFactory or an application's relay factory. */
    static final class Other {
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
    void thePrefaceIsRecognisedOnlyWhole() {
        byte[] preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        assertTrue(JettyEarlySettings.startsWithPreface(ByteBuffer.wrap(preface)));
        assertFalse(JettyEarlySettings.startsWithPreface(ByteBuffer.wrap(Arrays.copyOf(preface, 23))));
        assertFalse(JettyEarlySettings.startsWithPreface(ByteBuffer.wrap(
                "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII))));
        assertFalse(JettyEarlySettings.startsWithPreface(null));
    }
}
