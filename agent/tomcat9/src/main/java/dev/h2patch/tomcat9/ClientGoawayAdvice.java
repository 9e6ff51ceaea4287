package dev.h2patch.tomcat9;

import dev.h2patch.bootstrap.tomcat.TomcatConnectionState;
import java.util.concurrent.atomic.AtomicInteger;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into Tomcat's {@code org.apache.coyote.http2.Http2UpgradeHandler.goaway(int lastStreamId, long errorCode,
 * String debugData)} (the parser's callback for the client's GOAWAY; public, the same on 9.0, 10.1 and 11.0; the
 * async handler's visibility bridge is not advised), whose body only closes the connection. A GOAWAY with NO_ERROR
 * while streams are active skips it (decided by {@link TomcatConnectionState#keepOpenAfterGoaway}): the streams in
 * flight finish. {@code activeRemoteStreamCount} is the handler's protected {@code AtomicInteger}.
 */
public final class ClientGoawayAdvice {

    private ClientGoawayAdvice() {
    }

    /** Returns true to skip the method: the connection stays open for the streams in flight. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter(@Advice.Argument(1) long errorCode,
                           @Advice.FieldValue("activeRemoteStreamCount") Object activeStreams) {
        return TomcatConnectionState.keepOpenAfterGoaway(errorCode, ((AtomicInteger) activeStreams).get());
    }
}
