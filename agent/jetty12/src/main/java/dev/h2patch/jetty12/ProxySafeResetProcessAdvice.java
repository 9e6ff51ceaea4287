package dev.h2patch.jetty12;

import dev.h2patch.bootstrap.jetty.JettyDeferredResets;
import net.bytebuddy.asm.Advice;
import org.eclipse.jetty.http2.HTTP2Stream;
import org.eclipse.jetty.http2.frames.Frame;
import org.eclipse.jetty.http2.frames.FrameType;
import org.eclipse.jetty.http2.frames.HeadersFrame;

/**
 * Inlined into Jetty 12 {@code HTTP2Stream.process(Frame frame, Callback callback)}, through which every inbound frame
 * of a stream but DATA passes, before Jetty handles it. For a stream whose reset {@link ProxySafeResetAdvice} holds
 * back: the client's trailers with END_STREAM end the deferral with no reset (Jetty closes the stream itself); a client
 * reset or a failure drops the deferral. The frame always continues into Jetty. While nothing is held back in the JVM
 * this costs one volatile read.
 */
public final class ProxySafeResetProcessAdvice {

    private ProxySafeResetProcessAdvice() {
    }

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void onEnter(@Advice.This Object self, @Advice.Argument(0) Object frameArgument) {
        if (!JettyDeferredResets.anyDeferred()) {
            return;
        }
        Object mark = ((HTTP2Stream) self).getAttribute(JettyDeferredResets.STREAM_ATTRIBUTE);
        if (mark == null) {
            return;
        }
        Frame frame = (Frame) frameArgument;
        FrameType type = frame.getType();
        if (type == FrameType.HEADERS) {
            if (((HeadersFrame) frame).isEndStream()) {
                JettyDeferredResets.onInbound(mark, 0, true);
            }
        } else if (type == FrameType.RST_STREAM || type == FrameType.FAILURE) {
            JettyDeferredResets.onClosed(mark);
        }
    }
}
