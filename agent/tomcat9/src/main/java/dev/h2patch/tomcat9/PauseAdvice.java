package dev.h2patch.tomcat9;

import dev.h2patch.bootstrap.tomcat.TomcatDrain;
import java.util.concurrent.atomic.AtomicInteger;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into Tomcat's {@code org.apache.coyote.http2.Http2UpgradeHandler.pause()} (public, the same on 9.0, 10.1 and
 * 11.0; the async handler's visibility bridge is not advised), which a stopping connector calls on each HTTP/2
 * connection and which sends its GOAWAY: the connection is remembered ({@link TomcatDrain#paused}) so that the engine's
 * stop waits for its streams.
 */
public final class PauseAdvice {

    private PauseAdvice() {
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void onExit(@Advice.FieldValue("activeRemoteStreamCount") Object activeStreams,
                       @Advice.FieldValue("socketWrapper") Object socketWrapper) {
        TomcatDrain.paused((AtomicInteger) activeStreams, socketWrapper);
    }
}
