package dev.h2patch.jetty9;

import dev.h2patch.bootstrap.jetty.JettyDeferredResets;
import dev.h2patch.bootstrap.jetty.JettyProxySafeReset;
import net.bytebuddy.asm.Advice;
import org.eclipse.jetty.http2.HTTP2Stream;
import org.eclipse.jetty.http2.frames.DataFrame;
import org.eclipse.jetty.http2.frames.Frame;
import org.eclipse.jetty.http2.frames.HeadersFrame;
import org.eclipse.jetty.http2.frames.ResetFrame;
import org.eclipse.jetty.util.Callback;

/**
 * Inlined into {@code HTTP2Stream.process(Frame frame, Callback callback)} of every Jetty line (9.4, 10/11,
 * 12.0/12.1), through which every inbound frame of a stream passes (in 12 every frame but DATA, which goes to {@code
 * process(Stream.Data)}: 12's {@code ProxySafeResetDataAdvice}), before Jetty handles it. One advice for every line's
 * proxy-safe-reset fix: compiled here against 9.4, the oldest; the Jetty names and descriptors it uses are the same in
 * 10/11 and 12 (each module's {@code FixModuleContract} checks them against its Jetty). For a stream whose reset the
 * line's {@code ProxySafeResetAdvice} holds back: DATA is counted against {@code reset-defer-bytes} (past it, the
 * reset is sent now, as NO_ERROR; Jetty then drops the frame and returns its window); the client's END_STREAM (DATA or
 * trailers) ends the deferral with no reset (Jetty closes the stream itself); a client reset or a failure drops the
 * deferral. Nothing else changes: the frame always continues into Jetty. While nothing is held back in the JVM this
 * costs one volatile read.
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
        if (mark == null) {
            return; // nothing held back for this stream (while nothing is held back in the JVM: one volatile read)
        }
        Frame frame = (Frame) frameArgument;
        DataFrame data = frame instanceof DataFrame ? (DataFrame) frame : null;
        boolean endStream = data != null ? data.isEndStream()
                : frame instanceof HeadersFrame && ((HeadersFrame) frame).isEndStream();
        if (JettyProxySafeReset.onFrame(mark, frame.getType().name(),
                data == null ? 0 : (long) data.remaining() + data.padding(), endStream)) {
            HTTP2Stream stream = (HTTP2Stream) self;
            stream.reset(new ResetFrame(stream.getId(), 0), Callback.NOOP);
        }
    }
}
