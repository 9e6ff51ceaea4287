package dev.h2patch.tomcat9;

import dev.h2patch.FixNames;
import dev.h2patch.TypePatch;
import java.util.Collections;
import java.util.List;

/**
 * connection-state for Tomcat 9.0, 10.1 and 11.0, the client's side (docs/fixes/connection-state.md, "Tomcat"): a
 * client's GOAWAY(NO_ERROR) lets the streams in flight finish (RFC 9113 §6.8) instead of closing the connection at
 * once. One advice, {@link ClientGoawayAdvice}, on {@code Http2UpgradeHandler.goaway(int, long, String)}.
 *
 * <p>Not covered: Tomcat's own graceful stop, whose in-flight streams die when {@code StandardWrapper.unloadDelay}
 * (2 s) runs out and the endpoint closes every socket (docs/fixes/connection-state.md, "Tomcat").
 */
public final class TomcatConnectionStateFix extends TomcatFix {

    static final String HANDLER = "org.apache.coyote.http2.Http2UpgradeHandler";

    @Override
    public String name() {
        return FixNames.CONNECTION_STATE;
    }

    @Override
    public List<TypePatch> patches() {
        return Collections.singletonList(TypePatch.type(HANDLER)
                .advise(ClientGoawayAdvice.class, "goaway", "int", "long", "java.lang.String"));
    }
}
