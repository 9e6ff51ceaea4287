package dev.h2patch.netty;

import dev.h2patch.bootstrap.DeferredResets;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into {@code Http2FrameCodec$FrameListener.onDataRead(ctx, streamId, data, padding, endOfStream)}, the
 * frame codec's handler of inbound DATA.
 *
 * <p>While {@link ResetStreamAdvice} holds back the reset of a stream whose response is complete, the client keeps
 * sending. The stream's child channel is closed, and Netty's frame codec returns 0 ("not consumed yet") for DATA,
 * leaving the window to the child channel, which drops it without returning the window
 * (docs/fixes/proxy-safe-reset.md, "The fix"): the connection window would shrink with every discarded byte. For a
 * deferred stream this advice skips the frame codec entirely (no frame object, no retain) and returns every byte,
 * padding included, as consumed; the decoder then hands them back to flow control. The client's END_STREAM ends the
 * deferral: the decoder closes the stream normally, and no reset is ever sent. Past the byte bound, the reset is
 * scheduled on the loop.
 *
 * <p>Fast path: one volatile read while no reset is deferred in the JVM; while one is, a lock-free look-up of this
 * connection ({@link DeferredResets#discard}), and only a connection with deferred resets takes its own lock. No lock
 * shared by all connections is ever taken here.
 */
public final class FrameCodecDataAdvice {

    private FrameCodecDataAdvice() {
    }

    /** Returns the bytes consumed plus one when the frame was discarded (non-zero skips the method), else 0. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static int onEnter(@Advice.Argument(0) ChannelHandlerContext ctx,
                       @Advice.Argument(1) int streamId,
                       @Advice.Argument(2) ByteBuf data,
                       @Advice.Argument(3) int padding,
                       @Advice.Argument(4) boolean endOfStream) {
        if (!DeferredResets.anyDeferred()) {
            return 0;
        }
        int bytes = data.readableBytes() + padding;
        if (DeferredResets.discard(ctx.channel(), streamId, bytes, endOfStream) == DeferredResets.NOT_DEFERRED) {
            return 0;
        }
        return bytes + 1;
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void onExit(@Advice.Enter int discarded,
                       @Advice.Return(readOnly = false) int returned) {
        if (discarded > 0) {
            returned = discarded - 1;
        }
    }
}
