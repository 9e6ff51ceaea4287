package dev.h2patch.jetty10;

import dev.h2patch.bootstrap.jetty.JettyDeferredResets;
import net.bytebuddy.asm.Advice;
import org.eclipse.jetty.http2.HTTP2Stream;
import org.eclipse.jetty.http2.frames.DataFrame;
import org.eclipse.jetty.http2.frames.Frame;
import org.eclipse.jetty.http2.frames.FrameType;
import org.eclipse.jetty.http2.frames.HeadersFrame;
import org.eclipse.jetty.http2.frames.ResetFrame;
import org.eclipse.jetty.util.Callback;

/**
 * Inlined into Jetty 10 and 11 {@code HTTP2Stream.process(Frame frame, Callback callback)}, through which every
 * inbound frame of a stream passes, before Jetty handles it. For a stream whose reset {@link ProxySafeResetAdvice}
 * holds back: DATA is counted against {@code reset-defer-bytes} (past it, the reset is sent now, as NO_ERROR; Jetty
 * then drops the frame and returns its window); the client's END_STREAM (DATA or trailers) ends the deferral with no
 * reset (Jetty closes the stream itself); a client reset or a failure drops the deferral. Nothing else changes: the
 * frame always continues into Jetty. While nothing is held back in the JVM this costs one volatile read.
 */
public final class ProxySafeResetProcessAdvice {

    private ProxySafeResetProcessAdvice() {
    }

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void onEnter(@Advice.This Object self, @Advice.Argument(0) Object frameArgument) {
        if (!JettyDeferredResets.anyDeferred()) {
            return;
        }
        HTTP2Stream stream = (HTTP2Stream) self;
        Object mark = stream.getAttribute(JettyDeferredResets.STREAM_ATTRIBUTE);
        if (mark == null) {
            return;
        }
        Frame frame = (Frame) frameArgument;
        FrameType type = frame.getType();
        if (type == FrameType.DATA) {
            DataFrame data = (DataFrame) frame;
            if (JettyDeferredResets.onInbound(mark, (long) data.remaining() + data.padding(), data.isEndStream())
                    == JettyDeferredResets.FIRE) {
                stream.reset(new ResetFrame(stream.getId(), 0), Callback.NOOP);
            }
        } else if (type == FrameType.HEADERS) {
            if (((HeadersFrame) frame).isEndStream()) {
                JettyDeferredResets.onInbound(mark, 0, true);
            }
        } else if (type == FrameType.RST_STREAM || type == FrameType.FAILURE) {
            JettyDeferredResets.onClosed(mark);
        }
    }
}
