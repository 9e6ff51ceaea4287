package dev.h2patch.jetty9;

import dev.h2patch.bootstrap.jetty.JettyDrain;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.implementation.bytecode.assign.Assigner;
import org.eclipse.jetty.http2.HTTP2Session;
import org.eclipse.jetty.http2.frames.GoAwayFrame;
import org.eclipse.jetty.util.Callback;

/**
 * Inlined into {@code HTTP2Session.goAway(GoAwayFrame, Callback)} (all Jetty lines).
 *
 * <p>Why: after a graceful GOAWAY(2^31-1), Jetty sends a second, non-graceful GOAWAY(last stream, NO_ERROR,
 * "close") when the session's last stream ends, and then leaves the connection open until the client closes it or the
 * idle timeout fires again — with the {@link SessionIdleTimeoutAdvice} deferrals, one idle period after the last
 * stream. When this call is that GOAWAY (non-graceful, NO_ERROR, session LOCALLY_CLOSED with no stream left), its
 * callback is chained with {@code session.onIdleTimeout()}: once the frame is written, Jetty's own LOCALLY_CLOSED
 * idle path terminates the session (no stream to fail, no further GOAWAY since a non-graceful one was sent) and closes
 * the endpoint. Graceful stops then end as soon as the last stream does. (A connection that was already idle at the
 * stop was measured to take about 1 s to close with and without this advice.)
 *
 * <p>Rare path (a GOAWAY); the only allocation is the chained callback. Nothing here blocks: the close runs on
 * whichever thread completes the write, as Jetty's own write callbacks do.
 *
 * <p>What is decided here is decided by the shared helper {@code JettyDrain.closeAfterGoAway}, for every Jetty line
 * (unit-tested there); this advice reads Jetty's objects and does what the answer names.
 */
public final class SessionGoAwayAdvice {

    private SessionGoAwayAdvice() {
    }

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void onEnter(@Advice.This Object self,
                        @Advice.Argument(0) Object frameArgument,
                        @Advice.Argument(value = 1, readOnly = false, typing = Assigner.Typing.DYNAMIC)
                        Object callback) {
        GoAwayFrame frame = (GoAwayFrame) frameArgument;
        HTTP2Session session = (HTTP2Session) self;
        if (frame != null && callback != null && JettyDrain.closeAfterGoAway(frame.isGraceful(), frame.getError(),
                session.getCloseState().name(), session.getStreamCount())) {
            callback = Callback.from((Callback) callback, JettyDrain.terminateAfterWrite(self));
        }
    }
}
