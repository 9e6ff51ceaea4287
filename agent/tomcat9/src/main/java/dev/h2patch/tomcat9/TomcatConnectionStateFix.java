package dev.h2patch.tomcat9;

import dev.h2patch.FixNames;
import dev.h2patch.TypePatch;
import java.util.Arrays;
import java.util.List;

/**
 * connection-state for Tomcat 9.0, 10.1 and 11.0 (docs/fixes/connection-state.md, "Tomcat"). The client's GOAWAY: a
 * GOAWAY(NO_ERROR) lets the streams in flight finish (RFC 9113 §6.8) instead of closing the connection at once
 * ({@link ClientGoawayAdvice} on {@code Http2UpgradeHandler.goaway(int, long, String)}). Tomcat's graceful stop: the
 * connections the stop pauses (GOAWAY) are remembered ({@link PauseAdvice} on {@code Http2UpgradeHandler.pause()})
 * and the engine's stop waits for their streams, at most {@code shutdown-drain-ms} ({@link EngineStopAdvice} on
 * {@code ContainerBase.stopInternal()}), before the connectors close every socket.
 */
public final class TomcatConnectionStateFix extends TomcatFix {

    static final String HANDLER = "org.apache.coyote.http2.Http2UpgradeHandler";
    static final String CONTAINER_BASE = "org.apache.catalina.core.ContainerBase";

    @Override
    public String name() {
        return FixNames.CONNECTION_STATE;
    }

    @Override
    public List<TypePatch> patches() {
        return Arrays.asList(
                TypePatch.type(HANDLER)
                        .advise(ClientGoawayAdvice.class, "goaway", "int", "long", "java.lang.String")
                        .advise(PauseAdvice.class, "pause"),
                TypePatch.type(CONTAINER_BASE)
                        .advise(EngineStopAdvice.class, "stopInternal"));
    }
}
