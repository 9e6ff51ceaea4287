package dev.h2patch.jetty9;

import dev.h2patch.bootstrap.jetty.JettyDeferredResets;
import net.bytebuddy.asm.Advice;
import org.eclipse.jetty.http2.HTTP2Stream;
import org.eclipse.jetty.util.Callback;

/**
 * Inlined into Jetty 9.4 {@code HTTP2Stream.notifyData(Stream stream, DataFrame frame, Callback callback)} (private;
 * 9.4 only — 10/11 deliver DATA through {@code notifyDataDemanded}), which hands request DATA to the stream's listener
 * after Jetty has updated the stream's close state. For a stream whose reset {@link ProxySafeResetAdvice} holds back,
 * the frame is discarded: its callback is succeeded (exactly once; Jetty's {@code DataCallback} then returns the
 * flow-control window) and the listener is not called. The listener is Jetty's {@code Stream.Listener.Adapter} by then
 * anyway, which does the same; this keeps the frame away from the recycled {@code HttpChannelOverHTTP2} even if
 * something replaced the listener. While nothing is held back in the JVM this costs one volatile read.
 */
public final class ProxySafeResetDataAdvice {

    private ProxySafeResetDataAdvice() {
    }

    /** Returns true to skip the method: the frame was discarded. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter(@Advice.This Object self, @Advice.Argument(2) Object callback) {
        if (!JettyDeferredResets.anyDeferred()
                || ((HTTP2Stream) self).getAttribute(JettyDeferredResets.STREAM_ATTRIBUTE) == null) {
            return false;
        }
        try {
            ((Callback) callback).succeeded();
        } catch (Throwable ignored) {
            // Completed once; what it threw is its own and must not complete it twice.
        }
        return true;
    }
}
