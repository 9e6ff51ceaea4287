package dev.h2patch.jetty9;

import dev.h2patch.bootstrap.jetty.JettyDrain;
import net.bytebuddy.asm.Advice;
import org.eclipse.jetty.http2.HTTP2Session;

/**
 * Inlined into {@code HTTP2Session.onIdleTimeout()} (all Jetty lines), called by {@code HTTP2Connection.onIdleExpired}
 * when the endpoint's idle timeout expires.
 *
 * <p>Why: once the session is LOCALLY_CLOSED (a GOAWAY was sent, e.g. the graceful GOAWAY of {@code Server.stop()})
 * or REMOTELY_CLOSED, Jetty's idle timeout fails every stream with a reset, sends GOAWAY and terminates, whether the
 * streams are busy or merely quiet. At stop, Jetty 10 to 12.1 cut the idle timeout to {@code shutdownIdleTimeout}
 * (1 s), so every stream quiet for one second is reset long before the stop timeout (docs/fixes/connection-state.md). Here, when the
 * session is closing and still has streams, the method is skipped and returns false ("not closed"):
 * {@code IdleTimeout.checkIdleTimeout()} re-arms, and the check comes again one idle period later. Once the streams
 * have ended (or {@code shutdown-drain-ms} has passed since the first deferral, or holding back one more idle period
 * would take the session's total past {@code idle-defer-max-ms}, or the server's stop timeout closes the connectors)
 * Jetty acts as before.
 *
 * <p>Not a hot path: once per idle period. A NOT_CLOSED session is left entirely to Jetty (it asks the server listener,
 * which closes only if every stream is idle).
 *
 * <p>What is decided here is decided by the shared helper {@code JettyDrain.deferIdle}, for every Jetty line
 * (unit-tested there); this advice reads Jetty's objects and does what the answer names.
 */
public final class SessionIdleTimeoutAdvice {

    private SessionIdleTimeoutAdvice() {
    }

    /** Returns true to skip the method (which then returns false): a closing session still has streams. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter(@Advice.This Object self) {
        HTTP2Session session = (HTTP2Session) self;
        return JettyDrain.deferIdle(self, session.getCloseState().name(), session.getStreamCount(),
                session.getEndPoint().getIdleTimeout());
    }
}
