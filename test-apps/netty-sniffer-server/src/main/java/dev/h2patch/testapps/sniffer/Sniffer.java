package dev.h2patch.testapps.sniffer;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.CharsetUtil;

/**
 * The port sniffer: the connection's first handler. It keeps every byte it receives until it can route:
 * <ul>
 *   <li>bytes that are not the HTTP/2 client preface: HTTP/1 ({@link HttpServerCodec} + {@link Http1Handler});</li>
 *   <li>the preface: it reads frames until the client's first HEADERS and decodes that header block (with a private
 *       HPACK decoder) to look at {@code content-type}: {@code application/grpc*} goes to
 *       {@code Http2FrameCodec} + {@link GrpcHandler}, anything else to {@code Http2FrameCodec} +
 *       {@link Http2TextHandler}.</li>
 * </ul>
 * Then it removes itself and replays what it kept, unchanged, to the codec it installed. Until then it writes
 * nothing: not even the SETTINGS frame that RFC 9113 §3.4 allows the server to send at once. That is the bug this app
 * reproduces (cmux's {@code MatchWithWriters} exists to answer with SETTINGS while matching).
 */
final class Sniffer extends ChannelInboundHandlerAdapter {

    static final ByteBuf PREFACE = Unpooled.unreleasableBuffer(
            Unpooled.copiedBuffer("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", CharsetUtil.US_ASCII)).asReadOnly();
    private static final int HEADERS = 0x1;
    private static final int CONTINUATION = 0x9;
    private static final int FLAG_END_HEADERS = 0x4;
    private static final int FLAG_PADDED = 0x8;
    private static final int FLAG_PRIORITY = 0x20;
    /** Give up waiting for a HEADERS frame after this many buffered bytes (not a real server's concern). */
    private static final int MAX_BUFFERED = 1 << 20;

    private final long headerTableSize;
    private ByteBuf buffered;

    /** {@code headerTableSize} < 0: Netty's default SETTINGS. */
    Sniffer(long headerTableSize) {
        this.headerTableSize = headerTableSize;
    }

    Http2FrameCodec codec() {
        return codec(headerTableSize);
    }

    static Http2FrameCodec codec(long headerTableSize) {
        Http2FrameCodecBuilder builder = Http2FrameCodecBuilder.forServer();
        if (headerTableSize >= 0) {
            builder.initialSettings(Http2Settings.defaultSettings().headerTableSize(headerTableSize));
        }
        return builder.build();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        buffered = ctx.alloc().buffer();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        ByteBuf in = (ByteBuf) msg;
        try {
            buffered.writeBytes(in);
        } finally {
            in.release();
        }
        String route = route(buffered);
        if (route == null) {
            if (buffered.readableBytes() > MAX_BUFFERED) {
                System.err.println("sniffer: no HEADERS in " + buffered.readableBytes() + " bytes, closing");
                ctx.close();
            }
            return;
        }
        System.err.println("sniffer: " + ctx.channel().remoteAddress() + " -> " + route);
        install(ctx, route, codec());
        ByteBuf replay = buffered;
        buffered = null;
        ctx.pipeline().remove(this);
        ctx.fireChannelRead(replay);
        ctx.fireChannelReadComplete();
    }

    /** Installs the handlers of {@code route} right after {@code ctx}'s handler. */
    static void install(ChannelHandlerContext ctx, String route, Http2FrameCodec codec) {
        ChannelPipeline p = ctx.pipeline();
        switch (route) {
            case "http1":
                p.addAfter(ctx.name(), "http1-codec", new HttpServerCodec());
                p.addAfter("http1-codec", "http1-aggregator", new HttpObjectAggregator(1 << 16));
                p.addAfter("http1-aggregator", "http1-handler", new Http1Handler());
                break;
            case "grpc":
                p.addAfter(ctx.name(), "h2-codec", codec);
                p.addAfter("h2-codec", "grpc-handler", new GrpcHandler());
                break;
            default:
                p.addAfter(ctx.name(), "h2-codec", codec);
                p.addAfter("h2-codec", "h2-handler", new Http2TextHandler());
                break;
        }
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (buffered != null) {
            buffered.release();
            buffered = null;
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        System.err.println("sniffer: " + cause);
        ctx.close();
    }

    /** "http1", "grpc", "http2", or null while more bytes are needed; reads {@code buffered} without consuming. */
    static String route(ByteBuf buffered) throws Http2Exception {
        int n = Math.min(buffered.readableBytes(), PREFACE.readableBytes());
        if (!buffered.slice(buffered.readerIndex(), n).equals(PREFACE.slice(0, n))) {
            return "http1";
        }
        if (n < PREFACE.readableBytes()) {
            return null;
        }
        // Walk the frames after the preface to the first HEADERS (+ CONTINUATION up to END_HEADERS).
        int at = buffered.readerIndex() + PREFACE.readableBytes();
        int end = buffered.writerIndex();
        ByteBuf block = null;
        int streamId = 0;
        try {
            while (end - at >= 9) {
                int length = buffered.getUnsignedMedium(at);
                int type = buffered.getUnsignedByte(at + 3);
                int flags = buffered.getUnsignedByte(at + 4);
                int stream = buffered.getInt(at + 5) & 0x7fffffff;
                if (end - at - 9 < length) {
                    return null;
                }
                int payload = at + 9;
                if (type == HEADERS || (type == CONTINUATION && block != null)) {
                    int start = payload;
                    int stop = payload + length;
                    if (type == HEADERS) {
                        if ((flags & FLAG_PADDED) != 0) {
                            stop -= buffered.getUnsignedByte(start);
                            start++;
                        }
                        if ((flags & FLAG_PRIORITY) != 0) {
                            start += 5;
                        }
                        block = Unpooled.buffer();
                        streamId = stream;
                    }
                    block.writeBytes(buffered, start, stop - start);
                    if ((flags & FLAG_END_HEADERS) != 0) {
                        Http2Headers headers = new DefaultHttp2HeadersDecoder(true).decodeHeaders(streamId, block);
                        CharSequence contentType = headers.get("content-type");
                        return contentType != null && contentType.toString().startsWith("application/grpc")
                                ? "grpc" : "http2";
                    }
                }
                at = payload + length;
            }
            return null;
        } finally {
            if (block != null) {
                block.release();
            }
        }
    }
}
