package dev.h2patch.testapps.sniffer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;

import java.util.HashMap;
import java.util.Map;

/**
 * A tiny gRPC server on {@code Http2FrameCodec} (no protoc, no grpc-java), answering once the request stream ended:
 * <ul>
 *   <li>{@code /grpc.health.v1.Health/Check}: HEADERS(200, application/grpc), DATA with HealthCheckResponse{status:
 *       SERVING} (protobuf {@code 08 01}, framed {@code 00 00 00 00 02 08 01}), trailers grpc-status 0;</li>
 *   <li>{@code /h2patch.Test/Fail}: Trailers-Only NOT_FOUND "no such thing" (one HEADERS with END_STREAM);</li>
 *   <li>anything else: Trailers-Only UNIMPLEMENTED.</li>
 * </ul>
 */
final class GrpcHandler extends ChannelInboundHandlerAdapter {

    private static final byte[] SERVING = {0, 0, 0, 0, 2, 0x08, 0x01};

    private final Map<Integer, String> paths = new HashMap<>();

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            Http2FrameStream stream = null;
            if (msg instanceof Http2HeadersFrame) {
                Http2HeadersFrame headers = (Http2HeadersFrame) msg;
                CharSequence path = headers.headers().path();
                if (path != null) {
                    paths.put(headers.stream().id(), path.toString());
                }
                if (headers.isEndStream()) {
                    stream = headers.stream();
                }
            } else if (msg instanceof Http2DataFrame) {
                Http2DataFrame data = (Http2DataFrame) msg;
                if (data.isEndStream()) {
                    stream = data.stream();
                }
            } else {
                ctx.fireChannelRead(ReferenceCountUtil.retain(msg));
            }
            if (stream != null) {
                respond(ctx, stream, paths.remove(stream.id()));
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private static void respond(ChannelHandlerContext ctx, Http2FrameStream stream, String path) {
        System.err.println("grpc request " + path);
        if ("/grpc.health.v1.Health/Check".equals(path)) {
            Http2Headers headers = new DefaultHttp2Headers().status("200");
            headers.set("content-type", "application/grpc");
            ctx.write(new DefaultHttp2HeadersFrame(headers, false).stream(stream));
            ByteBuf message = Unpooled.wrappedBuffer(SERVING);
            ctx.write(new DefaultHttp2DataFrame(message, false).stream(stream));
            Http2Headers trailers = new DefaultHttp2Headers();
            trailers.set("grpc-status", "0");
            ctx.writeAndFlush(new DefaultHttp2HeadersFrame(trailers, true).stream(stream));
        } else if ("/h2patch.Test/Fail".equals(path)) {
            ctx.writeAndFlush(new DefaultHttp2HeadersFrame(trailersOnly("5", "no such thing"), true).stream(stream));
        } else {
            ctx.writeAndFlush(new DefaultHttp2HeadersFrame(trailersOnly("12", "unknown method " + path), true)
                    .stream(stream));
        }
    }

    private static Http2Headers trailersOnly(String status, String message) {
        Http2Headers headers = new DefaultHttp2Headers().status("200");
        headers.set("content-type", "application/grpc");
        headers.set("grpc-status", status);
        headers.set("grpc-message", message.replace(" ", "%20"));
        return headers;
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        System.err.println("grpc handler: " + cause);
        ctx.close();
    }
}
