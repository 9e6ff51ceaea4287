package dev.h2patch.netty;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.EndedStreams;
import dev.h2patch.bootstrap.H2patchRuntime;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Stream;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into {@code DefaultHttp2ConnectionEncoder.writeData(ctx, streamId, data, padding, endOfStream, promise)}.
 *
 * <p>Drops a DATA write on a stream whose response {@link EncoderWriteHeadersAdvice} already ended with END_STREAM —
 * typically the empty DATA(END_STREAM) the application meant to end the stream with. The buffer is released and the
 * promise succeeds, as if the frame had been written: the application's view stays consistent, and no DATA ever
 * follows END_STREAM on the wire (RFC 9113 §5.1, "half-closed (local)").
 *
 * <p>The common path costs one stream lookup: only streams Netty already considers ended are looked up further.
 */
public final class EncoderWriteDataAdvice {

    private EncoderWriteDataAdvice() {
    }

    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter(@Advice.FieldValue("connection") Http2Connection connection,
                           @Advice.Argument(0) ChannelHandlerContext ctx,
                           @Advice.Argument(1) int streamId,
                           @Advice.Argument(2) ByteBuf data,
                           @Advice.Argument(5) ChannelPromise promise) {
        if (!connection.isServer()) {
            return false;
        }
        Http2Stream stream = connection.stream(streamId);
        if (stream != null && !stream.isTrailersSent()) {
            return false;
        }
        if (H2patchRuntime.reportOnly || !EndedStreams.contains(ctx.channel(), streamId)) {
            return false;
        }
        data.release();
        promise.trySuccess();
        Counters.increment(Counters.END_STREAM_DROPPED_WRITES);
        return true;
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void onExit(@Advice.Enter boolean dropped,
                       @Advice.Argument(5) ChannelPromise promise,
                       @Advice.Return(readOnly = false) ChannelFuture returned) {
        if (dropped) {
            returned = promise;
        }
    }
}
