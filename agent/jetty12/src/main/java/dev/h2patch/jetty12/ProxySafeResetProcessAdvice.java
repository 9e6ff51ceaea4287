package dev.h2patch.jetty12;

import dev.h2patch.bootstrap.jetty.JettyDeferredResets;
import dev.h2patch.bootstrap.jetty.JettyProxySafeReset;
import net.bytebuddy.asm.Advice;
import org.eclipse.jetty.http2.HTTP2Stream;
import org.eclipse.jetty.http2.frames.Frame;
import org.eclipse.jetty.http2.frames.HeadersFrame;

/**
 * Inlined into Jetty 12 {@code HTTP2Stream.process(Frame frame, Callback callback)}, through which every inbound frame
 * of a stream but DATA passes, before Jetty handles it. For a stream whose reset {@link ProxySafeResetAdvice} holds
 * back: the client's trailers with END_STREAM end the deferral with no reset (Jetty closes the stream itself); a client
 * reset or a failure drops the deferral. The frame always continues into Jetty. While nothing is held back in the JVM
 * this costs one volatile read.
 *
 * <p>What is decided here is decided by the shared helper {@code JettyProxySafeReset.onFrame}, for every Jetty line
 * (unit-tested there); this advice reads Jetty's objects and does what the answer names.
 */
public final class ProxySafeResetProcessAdvice {

    private ProxySafeResetProcessAdvice() {
    }

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void onEnter(@Advice.This Object self, @Advice.Argument(0) Object frameArgument) {
        Object mark = JettyDeferredResets.anyDeferred()
                ? ((HTTP2Stream) self).getAttribute(JettyDeferredResets.STREAM_ATTRIBUTE) : null;
        if (mark != null) { // while nothing is held back in the JVM: one volatile read
            Frame frame = (Frame) frameArgument; // never DATA here: 12 hands DATA to process(Stream.Data)
            JettyProxySafeReset.onFrame(mark, frame.getType().name(), 0,
                    frame instanceof HeadersFrame && ((HeadersFrame) frame).isEndStream());
        }
    }
}
