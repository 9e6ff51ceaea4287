package dev.h2patch.tomcat9;

import dev.h2patch.bootstrap.tomcat.TomcatDeferredResets;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into Tomcat's {@code org.apache.coyote.http2.Http2UpgradeHandler.startRequestBodyFrame(int streamId, int
 * payloadSize, boolean endOfStream)} (a request DATA frame arrives; public, the same on every line; the async handler's
 * visibility bridge is not advised). At its start, a non-final frame of a stream whose reset is held back is exempted
 * from Tomcat's overhead count for the length of the call ({@link OverheadCountAdvice} skips the count); at its return,
 * after Tomcat counted the frame against the stream, the frame is charged against the hold's byte bound, which may
 * send the reset. One volatile read each when nothing is held.
 */
public final class RequestDataAdvice {

    private RequestDataAdvice() {
    }

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static int onEnter(@Advice.This Object connection, @Advice.Argument(0) int streamId,
                       @Advice.Argument(2) boolean endOfStream) {
        return TomcatDeferredResets.anyHeld() && !endOfStream
                ? TomcatDeferredResets.exemptFromOverhead(connection, streamId) : TomcatDeferredResets.NOT_EXEMPT;
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    static void onExit(@Advice.This Object connection, @Advice.Argument(0) int streamId,
                       @Advice.Argument(1) int payloadSize, @Advice.Argument(2) boolean endOfStream,
                       @Advice.Enter int exemption, @Advice.Thrown Throwable thrown) {
        if (exemption != TomcatDeferredResets.NOT_EXEMPT) {
            TomcatDeferredResets.endOverheadExemption(connection, exemption);
        }
        if (thrown == null && TomcatDeferredResets.anyHeld()) {
            TomcatDeferredResets.onData(connection, streamId, payloadSize, endOfStream);
        }
    }
}
