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
 * <p>The common path costs one stream lookup: only streams Netty already considers ended are looked up further. The
 * advice is kept small: with it, {@code writeData} stays under C2's {@code FreqInlineSize} (325 bytes of bytecode),
 * so it is still inlined into its callers as it is without the agent (docs/libraries/netty.md,
 * "The inlining budget").
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
        // Only streams this fix ended are taken (EndedStreams records server streams only), so a client connection
        // needs no check of its own.
        Http2Stream stream = connection.stream(streamId);
        if (stream != null && !stream.isTrailersSent() || !EndedStreams.takesWrite(ctx.channel(), streamId)) {
            return false;
        }
        // A void promise's failure would reach the connection's pipeline as an exception and close the connection:
        // such a write is then only counted (and logged once), as if absorbed.
        Throwable failure = EndedStreams.dataAfterEnd(streamId, data.readableBytes(), promise.isVoid());
        data.release();
        if (failure == null) {
            promise.trySuccess();
        } else {
            promise.tryFailure(failure);
        }
        return true;
    }

    // backupArguments = false: the exit reads only the promise, and only when the method was skipped, so no copy of
    // the arguments is needed; the copy would cost 24 bytes of a method C2 inlines only below 325 bytes.
    @Advice.OnMethodExit(suppress = Throwable.class, backupArguments = false)
    static void onExit(@Advice.Enter boolean dropped,
                       @Advice.Argument(5) ChannelPromise promise,
                       @Advice.Return(readOnly = false) ChannelFuture returned) {
        if (dropped) {
            returned = promise;
        }
    }
}
