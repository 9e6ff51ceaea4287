package dev.h2patch.jetty12;

import dev.h2patch.bootstrap.jetty.JettyDeferredResets;
import dev.h2patch.bootstrap.jetty.JettyProxySafeReset;
import net.bytebuddy.asm.Advice;
import org.eclipse.jetty.http2.HTTP2Stream;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.frames.DataFrame;
import org.eclipse.jetty.http2.frames.ResetFrame;
import org.eclipse.jetty.util.Callback;

/**
 * Inlined into Jetty 12 {@code HTTP2Stream.process(Stream.Data data)}, through which every inbound DATA frame of a
 * stream passes, before Jetty queues it. For a stream whose reset {@link ProxySafeResetAdvice} holds back, the bytes
 * (payload and padding) are counted against {@code reset-defer-bytes}: past it, the reset is sent now, as NO_ERROR
 * (Jetty then drops the frame and returns its window); the client's END_STREAM ends the deferral with no reset (the
 * {@code AUTO_DISCARD} listener reads it and Jetty closes the stream). The frame always continues into Jetty. While
 * nothing is held back in the JVM this costs one volatile read.
 *
 * <p>What is decided here is decided by the shared helper {@code JettyProxySafeReset.onFrame}, for every Jetty line
 * (unit-tested there); this advice reads Jetty's objects and does what the answer names.
 */
public final class ProxySafeResetDataAdvice {

    private ProxySafeResetDataAdvice() {
    }

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void onEnter(@Advice.This Object self, @Advice.Argument(0) Object dataArgument) {
        HTTP2Stream stream = (HTTP2Stream) self;
        Object mark = JettyDeferredResets.anyDeferred()
                ? stream.getAttribute(JettyDeferredResets.STREAM_ATTRIBUTE) : null;
        DataFrame frame = mark == null ? null : ((Stream.Data) dataArgument).frame();
        if (frame != null && JettyProxySafeReset.onFrame(mark, "DATA", (long) frame.remaining() + frame.padding(),
                frame.isEndStream())) {
            stream.reset(new ResetFrame(stream.getId(), 0), Callback.NOOP);
        }
    }
}
