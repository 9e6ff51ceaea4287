package dev.h2patch.netty;

import dev.h2patch.bootstrap.EndedStreams;
import dev.h2patch.bootstrap.GrpcShape;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;
import java.util.Map;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into {@code DefaultHttp2ConnectionEncoder.writeHeaders0(ctx, streamId, headers, hasPriority,
 * streamDependency, weight, exclusive, padding, endOfStream, promise)}.
 *
 * <p>A server response HEADERS that carries {@code grpc-status} and a gRPC content type is the last frame of a gRPC
 * response (the gRPC HTTP/2 protocol: "Trailers-Only" or trailers), and gRPC requires END_STREAM on it. When the
 * application writes it without END_STREAM, planning to end the stream later with an empty DATA frame, the advice
 * sets END_STREAM now: the client gets the status in one frame. The stream is then remembered (and marked as having
 * sent its trailers, which is true) so that the application's later writes on it are never written: empty ones are
 * absorbed, ones that carry something fail their promise ({@link EndedStreams#afterEnd}); Netty itself would fail the
 * stream or, for HEADERS, the whole connection.
 *
 * <p>The advice reads the header values; {@link GrpcShape#endsResponse} decides (the test every end-stream advice,
 * Netty and Jetty, shares: its content-type part matters, since grpc-java itself answers a non-gRPC request with a 415
 * whose HEADERS carry {@code grpc-status} and are followed by a text body), then {@link EndedStreams#fold} (report
 * mode).
 */
public final class EncoderWriteHeadersAdvice {

    private EncoderWriteHeadersAdvice() {
    }

    /** Returns true to skip the method: the write belongs to a stream this fix already ended. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter(@Advice.FieldValue("connection") Http2Connection connection,
                           @Advice.Argument(0) ChannelHandlerContext ctx,
                           @Advice.Argument(1) int streamId,
                           @Advice.Argument(2) Http2Headers headers,
                           @Advice.Argument(value = 8, readOnly = false) boolean endOfStream,
                           @Advice.Argument(9) ChannelPromise promise,
                           @Advice.Local("folded") boolean folded) {
        if (!connection.isServer()) {
            return false;
        }
        Http2Stream stream = connection.stream(streamId);
        if (stream == null || stream.isTrailersSent()) {
            if (EndedStreams.takesWrite(ctx.channel(), streamId)) {
                // Trailers after the folded HEADERS: never written; empty ones are absorbed, others fail.
                Throwable failure = EndedStreams.afterEnd(streamId, "trailers", headers.size(), "fields");
                if (failure != null && !promise.isVoid()) {
                    promise.tryFailure(failure);
                } else {
                    promise.trySuccess();
                }
                return true;
            }
            return false;
        }
        if (endOfStream) {
            return false;
        }

        CharSequence grpcStatus = null;
        CharSequence contentType = null;
        CharSequence status = null;
        if (headers instanceof DefaultHttp2Headers) {
            // The common case, looked up without allocating.
            grpcStatus = headers.get("grpc-status");
            if (grpcStatus == null) {
                return false; // the common answer, before two more look-ups
            }
            contentType = headers.get("content-type");
            status = headers.status();
        } else if (headers.getClass().getName().endsWith(".GrpcHttp2OutboundHeaders")) {
            // grpc-java's own server always sends grpc-status with END_STREAM; its headers class cannot be queried.
            return false;
        } else {
            for (Map.Entry<CharSequence, CharSequence> header : headers) {
                String name = header.getKey().toString();
                if (name.equals("grpc-status")) {
                    grpcStatus = header.getValue();
                } else if (name.equals("content-type")) {
                    contentType = header.getValue();
                } else if (name.equals(":status")) {
                    status = header.getValue();
                }
            }
        }
        if (!GrpcShape.endsResponse(GrpcShape.isInformational(status), grpcStatus, contentType)) {
            return false; // the one gRPC shape test every end-stream advice uses
        }

        // Remembered in report mode too, so the frame-writer advice does not count this response twice.
        EndedStreams.remember(ctx.channel(), streamId);
        if (!EndedStreams.fold()) {
            return false; // report mode: counted only
        }
        endOfStream = true;
        folded = true;
        return false;
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void onExit(@Advice.Enter boolean dropped,
                       @Advice.FieldValue("connection") Http2Connection connection,
                       @Advice.Argument(1) int streamId,
                       @Advice.Argument(9) ChannelPromise promise,
                       @Advice.Local("folded") boolean folded,
                       @Advice.Return(readOnly = false) ChannelFuture returned) {
        if (dropped) {
            returned = promise;
            return;
        }
        if (folded) {
            // While the HEADERS write is pending, Netty keeps a half-closed (remote) stream open; marking its trailers
            // as sent lets the other advice recognise the stream as ended without a lookup on every write.
            Http2Stream stream = connection.stream(streamId);
            if (stream != null && stream.isHeadersSent() && !stream.isTrailersSent()) {
                stream.headersSent(false);
            }
        }
    }
}
