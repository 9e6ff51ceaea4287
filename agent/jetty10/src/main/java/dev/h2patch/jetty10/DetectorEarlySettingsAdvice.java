package dev.h2patch.jetty10;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.Http2Frames;
import dev.h2patch.bootstrap.jetty.JettyEarlySettings;
import java.nio.ByteBuffer;
import net.bytebuddy.asm.Advice;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;

/**
 * Inlined into Jetty 9.4, 10 and 11 {@code DetectorConnectionFactory.DetectorConnection.detectAndUpgrade()}, which asks
 * every {@code ConnectionFactory.Detecting} about the bytes read so far and returns false while they all want more.
 *
 * <p>A detecting factory that routes on the client's first HEADERS (gRPC or not) keeps a connection whose bytes are
 * only the client preface and SETTINGS waiting; grpc-go sends no HEADERS before the server's SETTINGS, so both wait
 * ("timed out waiting for server handshake"). On exit, when the detection did not upgrade the connection and the
 * buffered bytes start with the whole client preface, the advice writes an empty SETTINGS frame (a complete server
 * preface that changes no setting) to the endpoint, once per connection, as Go's cmux {@code MatchWithWriters} does.
 * The client's ACK of it needs no accounting: Jetty's {@code HTTP2Session.onSettings} returns at once on a SETTINGS
 * ACK (Jetty applies its own settings when it sends them, not when they are acknowledged).
 *
 * <p>Only when this process will serve the connection as HTTP/2: the detector's connector must have a Jetty HTTP/2
 * server connection factory ({@link JettyEarlySettings#servesHttp2}). A detector on a connector without one hands an
 * HTTP/2 connection to something else (a relay to another server, say), which must not receive a server preface of
 * ours. The bytes it checks are the detector's own buffer: held undecided, never bytes passed on. Option
 * {@code early-settings-sniffers=off} turns this advice off.
 *
 * <p>Cost: a boolean test on every detection; the 24-byte compare only while a detection is undecided.
 * {@code EndPoint.flush} is non-blocking; 9 bytes on a connection that has written nothing go out at once.
 *
 * <p>What is decided here is decided by the shared helper {@code JettyEarlySettings.holdsPreface} and {@code
 * claimDetector}, for every Jetty line (unit-tested there); this advice reads Jetty's objects and does what the answer
 * names.
 */
public final class DetectorEarlySettingsAdvice {

    private DetectorEarlySettingsAdvice() {
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void onExit(@Advice.This Object self, @Advice.Return boolean upgraded,
                       @Advice.FieldValue("_buffer") Object buffer,
                       @Advice.FieldValue("_connector") Object connector) {
        ByteBuffer bytes = upgraded ? null : (ByteBuffer) buffer;
        if (!JettyEarlySettings.holdsPreface(bytes)) {
            return;
        }
        EndPoint endPoint = ((AbstractConnection) self).getEndPoint();
        if (JettyEarlySettings.claimDetector(self, endPoint.isOpen(),
                ((Connector) connector).getConnectionFactories())) {
            try {
                endPoint.flush(ByteBuffer.wrap(Http2Frames.emptySettingsFrame()));
            } catch (java.io.IOException e) {
                return; // the connection is failing; the detector finds out on its own
            }
            Counters.increment(Counters.EARLY_SETTINGS_SENT);
        }
    }
}
