package dev.h2patch.netty;

import dev.h2patch.bootstrap.EndedStreams;
import dev.h2patch.bootstrap.Http2Frames;
import dev.h2patch.bootstrap.OutboundTail;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.util.concurrent.PromiseNotifier;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into {@code DefaultHttp2FrameWriter.writeData(ctx, streamId, data, padding, endStream, promise)}.
 *
 * <p>Netty writes HEADERS straight to the channel but queues DATA in the flow controller until the next flush, and it
 * merges an empty END_STREAM DATA only into queued DATA, never into HEADERS. So a response committed without a body
 * and completed before the flush (an HTTP/1-style {@code HttpResponse} then {@code LastHttpContent.EMPTY_LAST_CONTENT})
 * still leaves as HEADERS + DATA(0, END_STREAM) — the frame pair that golang/go#56317 and nghttp2/nghttp2#588 fold.
 *
 * <p>When the frame about to be written is an empty, unpadded DATA(END_STREAM) on a server connection, and the last
 * two messages waiting unflushed in the channel are exactly this stream's HEADERS frame header (END_HEADERS only) and
 * its header block, the END_STREAM flag is set on that frame header instead and the DATA frame is not written.
 * Nothing else can have been written in between, and nothing has left yet, so the wire shows one HEADERS(END_STREAM).
 * Netty's own stream state is unaffected: it saw a successful END_STREAM write. If anything does not match (TLS or
 * another handler buffering writes, CONTINUATION frames, priority, padding), the frames are left as they are. The
 * advice reads the buffers; {@link Http2Frames} decides what the bytes are, {@link EndedStreams#fold} whether to fold.
 */
public final class FrameWriterWriteDataAdvice {

    private FrameWriterWriteDataAdvice() {
    }

    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter(@Advice.Argument(0) ChannelHandlerContext ctx,
                           @Advice.Argument(1) int streamId,
                           @Advice.Argument(2) ByteBuf data,
                           @Advice.Argument(3) int padding,
                           @Advice.Argument(4) boolean endStream,
                           @Advice.Argument(5) ChannelPromise promise) {
        if (!Http2Frames.isEmptyEndOfStream(endStream, padding, data.readableBytes())) {
            return false;
        }
        Channel channel = ctx.channel();
        if (channel.parent() == null) {
            return false; // not an accepted (server) connection: requests are never changed
        }
        Object[] tail = OutboundTail.lastTwoUnflushed(channel.unsafe().outboundBuffer());
        if (tail == null || !(tail[0] instanceof ByteBuf) || !(tail[1] instanceof ByteBuf)) {
            return false;
        }
        ByteBuf frameHeader = (ByteBuf) tail[0];
        ByteBuf headerBlock = (ByteBuf) tail[1];
        int at = frameHeader.readerIndex();
        if (frameHeader.readableBytes() != Http2Frames.FRAME_HEADER_LENGTH
                || !Http2Frames.isBareHeadersOf(streamId, headerBlock.readableBytes(),
                        frameHeader.getUnsignedMedium(at), frameHeader.getByte(at + 3),
                        frameHeader.getByte(at + Http2Frames.FLAGS_OFFSET), frameHeader.getInt(at + 5))) {
            return false;
        }
        if (EndedStreams.contains(channel, streamId)) {
            return false; // a gRPC response the headers advice already handled (or counted, in report mode)
        }
        if (!EndedStreams.fold()) {
            return false; // report mode: counted only
        }
        frameHeader.setByte(at + Http2Frames.FLAGS_OFFSET, Http2Frames.END_HEADERS_AND_STREAM);
        try {
            data.release();
        } catch (Throwable ignored) {
            // The frame is already folded; a buffer that cannot be released must not undo that.
        }
        ChannelPromise headersWritten = tail[2] instanceof ChannelPromise ? (ChannelPromise) tail[2] : null;
        try {
            if (headersWritten != null && !headersWritten.isVoid() && !promise.isVoid()) {
                // The DATA write completes when the HEADERS that now carry its END_STREAM are written.
                headersWritten.addListener(new PromiseNotifier<Void, ChannelFuture>(promise));
            } else {
                promise.trySuccess();
            }
        } catch (Throwable failure) {
            promise.trySuccess();
        }
        return true;
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void onExit(@Advice.Enter boolean folded,
                       @Advice.Argument(5) ChannelPromise promise,
                       @Advice.Return(readOnly = false) ChannelFuture returned) {
        if (folded) {
            returned = promise;
        }
    }
}
