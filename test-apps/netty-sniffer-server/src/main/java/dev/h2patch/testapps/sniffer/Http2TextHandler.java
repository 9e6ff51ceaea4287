package dev.h2patch.testapps.sniffer;

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
import io.netty.util.CharsetUtil;
import io.netty.util.ReferenceCountUtil;

/** Plain HTTP/2 (not gRPC) behind the sniffer: every request gets 200 text/plain "hello\n" once it ended. */
final class Http2TextHandler extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            Http2FrameStream stream = null;
            if (msg instanceof Http2HeadersFrame && ((Http2HeadersFrame) msg).isEndStream()) {
                stream = ((Http2HeadersFrame) msg).stream();
                System.err.println("h2 request " + ((Http2HeadersFrame) msg).headers().path());
            } else if (msg instanceof Http2DataFrame && ((Http2DataFrame) msg).isEndStream()) {
                stream = ((Http2DataFrame) msg).stream();
            } else if (!(msg instanceof Http2HeadersFrame) && !(msg instanceof Http2DataFrame)) {
                ctx.fireChannelRead(ReferenceCountUtil.retain(msg));
            }
            if (stream != null) {
                Http2Headers headers = new DefaultHttp2Headers().status("200");
                headers.set("content-type", "text/plain");
                ctx.write(new DefaultHttp2HeadersFrame(headers, false).stream(stream));
                ctx.writeAndFlush(new DefaultHttp2DataFrame(
                        Unpooled.copiedBuffer("hello\n", CharsetUtil.UTF_8), true).stream(stream));
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        System.err.println("h2 handler: " + cause);
        ctx.close();
    }
}
