package dev.h2patch.netty;

import dev.h2patch.bootstrap.EndedStreams;
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
 * <p>Handles a DATA write on a stream whose response {@link EncoderWriteHeadersAdvice} already ended with END_STREAM.
 * No DATA ever follows END_STREAM on the wire (RFC 9113 §5.1, "half-closed (local)"), so the frame is never written
 * and its buffer is released; {@link EndedStreams#afterEnd} decides what the application is told. An empty write —
 * typically the empty DATA(END_STREAM) the application meant to end the stream with — loses nothing: its promise
 * succeeds, as if the frame had been written. A write that carries bytes fails its promise with an exception naming
 * h2patch and the stream, so the bytes are never lost silently.
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
        if (!EndedStreams.takesWrite(ctx.channel(), streamId)) {
            return false;
        }
        Throwable failure = EndedStreams.afterEnd(streamId, "DATA", data.readableBytes(), "bytes");
        data.release();
        if (failure != null && !promise.isVoid()) {
            promise.tryFailure(failure);
        } else {
            // Absorbed (nothing to send); or a void promise, whose failure would reach the connection's pipeline
            // as an exception and close the connection: the write is then only counted (and logged once).
            promise.trySuccess();
        }
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
