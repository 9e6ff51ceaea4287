package dev.h2patch.tomcat9;

import dev.h2patch.bootstrap.tomcat.TomcatDeferredResets;
import net.bytebuddy.asm.Advice;

/**
 * Inlined at the return of Tomcat's {@code org.apache.coyote.http2.Stream.canWrite()} ({@code final boolean}, the same
 * on 9.0.70 to 11.0), which {@code Http2UpgradeHandler.writeWindowUpdate} asks before it returns a stream's window: true
 * for a stream whose reset is held back, only while {@link SwallowedDataAdvice} returns that stream's window on this
 * thread. Everywhere else the answer is Tomcat's. One volatile read when nothing is held.
 */
public final class StreamCanWriteAdvice {

    private StreamCanWriteAdvice() {
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void onExit(@Advice.This Object stream, @Advice.Return(readOnly = false) boolean canWrite) {
        if (!canWrite && TomcatDeferredResets.anyHeld() && TomcatDeferredResets.returnsWindowOf(stream)) {
            canWrite = true;
        }
    }
}
