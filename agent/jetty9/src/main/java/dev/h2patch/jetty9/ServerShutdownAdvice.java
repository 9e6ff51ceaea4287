package dev.h2patch.jetty9;

import dev.h2patch.bootstrap.jetty.JettyDrain;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Future;
import net.bytebuddy.asm.Advice;
import org.eclipse.jetty.http2.HTTP2Session;
import org.eclipse.jetty.http2.api.Session;
import org.eclipse.jetty.http2.frames.GoAwayFrame;
import org.eclipse.jetty.http2.server.AbstractHTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;

/**
 * Inlined into Jetty 9.4 {@code AbstractHandlerContainer.doShutdown(List<Future<Void>> futures)}, which
 * {@code Server.doStop} calls with its connectors' shutdown futures before it waits for all of them (up to the stop
 * timeout) and then stops the connectors.
 *
 * <p>On the {@code Server} (not other containers, and not the {@code doShutdown(null)} of a context): every HTTP/2
 * session of its connectors is sent {@code GoAwayFrame.GRACEFUL} (GOAWAY(2^31-1, NO_ERROR): the client stops opening
 * streams; RFC 9113 §6.8), and a future that completes once those sessions have no stream left and have closed is
 * added to {@code futures}. Jetty's own session logic then sends the final GOAWAY(last stream) when the last stream
 * ends ({@link SessionGoAwayAdvice} closes the connection right after). If the stop timeout is 0, Jetty does not wait
 * and the streams are cut as before — but after a GOAWAY.
 *
 * <p>Runs on the thread calling {@code Server.stop()}, once; allocation does not matter here.
 *
 * <p>What is decided here is decided by the shared helper {@code JettyDrain.stopGracefully}, for every Jetty line
 * (unit-tested there); this advice reads Jetty's objects and does what the answer names.
 */
public final class ServerShutdownAdvice {

    private ServerShutdownAdvice() {
    }

    @Advice.OnMethodEnter(suppress = Throwable.class)
    @SuppressWarnings("unchecked")
    static void onEnter(@Advice.This Object self, @Advice.Argument(0) List<?> futures) {
        if (futures == null || !(self instanceof Server)) {
            return;
        }
        List<Object> sessions = null;
        for (Connector connector : ((Server) self).getConnectors()) {
            for (ConnectionFactory factory : connector.getConnectionFactories()) {
                if (!(factory instanceof AbstractHTTP2ServerConnectionFactory)) {
                    continue;
                }
                AbstractHTTP2ServerConnectionFactory.HTTP2SessionContainer container =
                        ((AbstractHTTP2ServerConnectionFactory) factory)
                                .getBean(AbstractHTTP2ServerConnectionFactory.HTTP2SessionContainer.class);
                if (container == null) {
                    continue;
                }
                for (Session session : container.getSessions()) {
                    if (session instanceof HTTP2Session && !session.isClosed()) {
                        if (sessions == null) {
                            sessions = new ArrayList<Object>();
                        }
                        sessions.add(session);
                    }
                }
            }
        }
        if (sessions == null || !JettyDrain.stopGracefully(sessions.size())) {
            return;
        }
        for (Object session : sessions) {
            HTTP2Session http2 = (HTTP2Session) session;
            JettyDrain.stoppingGracefully(http2.getStreamCount());
            http2.goAway(GoAwayFrame.GRACEFUL, Callback.NOOP);
        }
        ((List<Future<Void>>) futures).add(JettyDrain.awaitSessions(null, sessions));
    }
}
