package dev.h2patch.netty;

import dev.h2patch.bootstrap.DeferredResets;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2Stream;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into {@code Http2ConnectionHandler.resetStream(ctx, streamId, errorCode, promise)}, the public method every
 * reset the application (or a child channel) asks for goes through: {@code Http2FrameCodec.write(Http2ResetFrame)} →
 * {@code DefaultHttp2ConnectionEncoder.writeRstStream} → here.
 *
 * <p>The case it changes: a server stream in state HALF_CLOSED_LOCAL, i.e. the response's END_STREAM has already been
 * handed to the frame writer (Netty moves the stream there only after writing it), while the client is still sending.
 * Netty's child channels reset such a stream with CANCEL when they close before the client's END_STREAM
 * ({@code AbstractHttp2StreamChannel...Http2ChannelUnsafe.close}). RFC 9113 §8.1 says a server that has sent a complete
 * response may stop the upload with RST_STREAM(NO_ERROR) and the client must not discard the response; but HAProxy 2.6
 * forwards any such reset as CANCEL and gRPC clients then report CANCELLED (docs/fixes/proxy-safe-reset.md, "The
 * bug"). So the reset is:
 * <ul>
 *   <li>held back ({@link DeferredResets#defer}) when the handler is an {@code Http2FrameCodec} (whose inbound DATA
 *       {@link FrameCodecDataAdvice} can discard): if the client's END_STREAM arrives within the bounds the stream
 *       closes normally and no reset is ever sent; at the bound it comes back here and goes out as NO_ERROR;</li>
 *   <li>otherwise (other handlers, too many deferred on the connection, loop shutting down) sent at once, with
 *       NO_ERROR.</li>
 * </ul>
 * Because the stream is HALF_CLOSED_LOCAL, the response's last frame is already in the channel ahead of any reset:
 * the reset cannot overtake it. Untouched: client connections; streams in any other state (a reset of an incomplete
 * response is a real abort); codes Netty's decoder uses for the client's own protocol violations
 * ({@code ProxySafeReset.isClientsFault}), which are not the server losing interest.
 *
 * <p>The advice reads the stream's state and acts; {@link DeferredResets#onReset} decides. Fast path: one stream
 * lookup and a state comparison (and one volatile read), no allocation.
 */
public final class ResetStreamAdvice {

    private ResetStreamAdvice() {
    }

    /** Returns true to skip the method: the reset is held back, or no longer needed. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter(@Advice.This Http2ConnectionHandler handler,
                           @Advice.Argument(0) ChannelHandlerContext ctx,
                           @Advice.Argument(1) int streamId,
                           @Advice.Argument(value = 2, readOnly = false) long errorCode,
                           @Advice.Argument(3) ChannelPromise promise,
                           @Advice.Local("done") ChannelPromise done) {
        Http2Connection connection = handler.connection();
        if (!connection.isServer()) {
            return false;
        }
        Http2Stream stream = connection.stream(streamId);
        boolean complete = stream != null && stream.state() == Http2Stream.State.HALF_CLOSED_LOCAL;
        if (!complete && !DeferredResets.anyDeferred()) {
            return false; // the common path: an abort, with nothing held back anywhere
        }
        boolean holdable = handler instanceof Http2FrameCodec;
        int action = DeferredResets.onReset(ctx.channel(), streamId, errorCode, complete,
                complete && stream.isResetSent(), holdable ? handler : null, ctx, holdable ? ctx.executor() : null);
        if (action == DeferredResets.SEND_NO_ERROR) {
            errorCode = 0;
            return false;
        }
        if (action != DeferredResets.SKIP) {
            return false;
        }
        done = promise.unvoid();
        done.trySuccess();
        return true;
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void onExit(@Advice.Enter boolean skipped,
                       @Advice.Local("done") ChannelPromise done,
                       @Advice.Return(readOnly = false) ChannelFuture returned) {
        if (skipped) {
            returned = done;
        }
    }
}
