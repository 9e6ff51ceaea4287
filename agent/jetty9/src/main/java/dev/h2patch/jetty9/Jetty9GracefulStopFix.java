package dev.h2patch.jetty9;

import dev.h2patch.FixNames;
import dev.h2patch.TypePatch;
import java.util.Collections;
import java.util.List;

/**
 * connection-state for Jetty 9.4: {@code Server.stop()} sends a graceful GOAWAY to every HTTP/2 session and waits,
 * within the server's stop timeout, for their streams to end (docs/fixes/connection-state.md, jetty#2788).
 *
 * <p>Jetty 9.4 has no graceful GOAWAY at stop: the HTTP/2 sessions are not {@code Graceful}, so {@code Server.doStop}
 * waits for nothing on their behalf, then stops the connectors, whose sessions {@code halt}: GOAWAY and a reset of
 * every stream still open, with no warning to the client before. {@link ServerShutdownAdvice}, on
 * {@code AbstractHandlerContainer.doShutdown(List)} (9.4 only; 10+ replaced it with {@code Graceful.shutdown}), sends
 * {@code GoAwayFrame.GRACEFUL} to every session of every connector and adds a future that completes once those
 * sessions have no stream left, to the futures {@code Server.doStop} waits for (up to its stop timeout). With
 * {@link JettyConnectionStateFix} each session then closes as soon as its last stream ends.
 */
public final class Jetty9GracefulStopFix extends Jetty9Fix {

    static final String CONTAINER = "org.eclipse.jetty.server.handler.AbstractHandlerContainer";

    public Jetty9GracefulStopFix() {
        super("org.eclipse.jetty", "jetty-server");
    }

    @Override
    public String name() {
        return FixNames.CONNECTION_STATE;
    }

    @Override
    public List<TypePatch> patches() {
        return Collections.singletonList(TypePatch.type(CONTAINER)
                .advise(ServerShutdownAdvice.class, "doShutdown", "java.util.List"));
    }
}
