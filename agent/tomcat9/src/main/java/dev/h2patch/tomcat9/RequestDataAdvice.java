package dev.h2patch.tomcat9;

import dev.h2patch.bootstrap.tomcat.TomcatDeferredResets;
import net.bytebuddy.asm.Advice;

/**
 * Inlined at the return of Tomcat's {@code org.apache.coyote.http2.Http2UpgradeHandler.startRequestBodyFrame(int
 * streamId, int payloadSize, boolean endOfStream)} (a request DATA frame arrived and Tomcat has counted it; public,
 * the same on every line; the async handler's visibility bridge is not advised): the bytes of a stream whose reset is
 * held back count against {@code reset-defer-bytes}, and a small non-final frame ends the hold (Tomcat's overhead
 * protection counts it). One volatile read when nothing is held.
 */
public final class RequestDataAdvice {

    private RequestDataAdvice() {
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void onExit(@Advice.This Object connection, @Advice.Argument(0) int streamId,
                        @Advice.Argument(1) int payloadSize, @Advice.Argument(2) boolean endOfStream) {
        if (TomcatDeferredResets.anyHeld()) {
            TomcatDeferredResets.onData(connection, streamId, payloadSize, endOfStream);
        }
    }
}
