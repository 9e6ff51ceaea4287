package dev.h2patch.tomcat9;

import dev.h2patch.bootstrap.tomcat.TomcatDeferredResets;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into Tomcat's {@code org.apache.coyote.http2.Http2UpgradeHandler.onSwallowedDataFramePayload(int streamId,
 * int swallowedDataBytesCount)} (public, the same on 9.0.70 to 11.0), through which Tomcat returns the flow-control
 * window of request DATA it discards: for a stream whose reset is held back, the stream's window is returned too
 * ({@link TomcatDeferredResets#returnWindow}, with {@link StreamCanWriteAdvice}), so an upload past the answer is not
 * stopped at Tomcat's 64 KiB stream window while the reset is held (docs/fixes/proxy-safe-reset.md, "Tomcat"). One
 * volatile read when nothing is held.
 */
public final class SwallowedDataAdvice {

    private SwallowedDataAdvice() {
    }

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static boolean onEnter(@Advice.This Object connection, @Advice.Argument(0) int streamId) {
        return TomcatDeferredResets.anyHeld() && TomcatDeferredResets.returnWindow(connection, streamId);
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    static void onExit(@Advice.Enter boolean marked) {
        if (marked) {
            TomcatDeferredResets.endWindowReturn();
        }
    }
}
