package dev.h2patch.tomcat9;

import dev.h2patch.bootstrap.tomcat.TomcatDeferredResets;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into Tomcat's {@code org.apache.coyote.http2.Http2UpgradeHandler.updateOverheadCount(FrameType, int)}
 * (private, the same on 9.0.70 to 11.0), through which {@code startRequestBodyFrame} lowers the connection's overhead
 * count for every DATA frame and raises it for a small non-final one: skipped for the DATA frame of a stream whose
 * reset is held back, on the thread {@link RequestDataAdvice} exempted it on, so that frame leaves the count as it
 * found it (docs/fixes/proxy-safe-reset.md, "Tomcat"; the bound is the hold's). {@code FrameType} is package-private:
 * it reaches the advice typed {@code Object}. One volatile read when nothing is held.
 */
public final class OverheadCountAdvice {

    private OverheadCountAdvice() {
    }

    /** Returns true to skip the method: the frame's overhead is not counted, up or down. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter(@Advice.Argument(0) Object frameType) {
        return TomcatDeferredResets.anyHeld() && TomcatDeferredResets.exemptsOverheadOf(frameType);
    }
}
