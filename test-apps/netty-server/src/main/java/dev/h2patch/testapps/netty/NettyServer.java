package dev.h2patch.testapps.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.handler.timeout.ReadTimeoutHandler;
import io.netty.util.CharsetUtil;
import io.netty.util.ReferenceCountUtil;

import java.util.concurrent.TimeUnit;

import static io.netty.handler.codec.http.HttpVersion.HTTP_1_1;

/**
 * h2c (prior knowledge) test server on Netty, built the way real stacks (Reactor Netty, Armeria, ...) build it:
 * {@code Http2FrameCodec} + {@code Http2MultiplexHandler}, one child channel per stream, and
 * {@code Http2StreamFrameToHttpObjectCodec} so the handler speaks HttpObjects.
 *
 * <p>The same source is compiled three times: against plain Netty 4.1 (netty-server), plain Netty 4.2
 * (netty42-server) and, relocated, against the Netty inside grpc-netty-shaded (grpc-shaded-netty-server).
 *
 * <p>Usage: {@code java -jar netty-server.jar --port P} (0 = ephemeral). Prints {@code READY <port>} on stdout
 * once it listens on 127.0.0.1; logs go to stderr; runs until killed.
 *
 * <p>{@code --tls --keystore PATH [--keystore-password P]}: TLS (JDK provider) with ALPN h2 on the main port instead
 * of h2c; an {@code ApplicationProtocolNegotiationHandler} adds the HTTP/2 handlers after the handshake.
 *
 * <p>Options for the connection-state fix (seed 003): {@code --idle-timeout-ms N} adds an
 * {@code IdleStateHandler(0, 0, N ms)} and a handler that closes the connection on {@code IdleStateEvent} (the usual
 * pattern); {@code --reader-idle-ms N} the same with {@code IdleStateHandler(N ms, 0, 0)} (READER_IDLE, the usual
 * dead-peer cleanup); {@code --ping-idle-ms N} adds {@code IdleStateHandler(0, N ms, 0)} and a handler that sends an
 * HTTP/2 PING on each WRITER_IDLE (a keepalive); {@code --read-timeout-ms N} adds a {@code ReadTimeoutHandler(N ms)};
 * {@code --user-shutdown} makes SIGTERM
 * shut down the way applications do ({@code boss.shutdownGracefully(); workers.shutdownGracefully();} with Netty's
 * defaults, 2 s quiet period and 15 s timeout, then wait for both), instead of the quick shutdown the other tests use.
 * {@code GET /admin/shutdown} answers 200 and then shuts down that same way. {@code --shutdown-quiet-ms Q
 * --shutdown-timeout-ms T} make both call {@code shutdownGracefully(Q, T, MILLISECONDS)} instead (for example 0 and 0:
 * an application that asks for an immediate shutdown).
 */
public final class NettyServer {

    private NettyServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = NettyApp.port(args);
        long idleTimeoutMillis = NettyApp.longOption(args, "--idle-timeout-ms", 0);
        long readTimeoutMillis = NettyApp.longOption(args, "--read-timeout-ms", 0);
        long readerIdleMillis = NettyApp.longOption(args, "--reader-idle-ms", 0);
        long pingIdleMillis = NettyApp.longOption(args, "--ping-idle-ms", 0);
        boolean userShutdown = NettyApp.flag(args, "--user-shutdown");
        SslContext tls = NettyApp.tlsContext(args);
        RequestHandler.shutdownQuietMillis = NettyApp.longOption(args, "--shutdown-quiet-ms", -1);
        RequestHandler.shutdownTimeoutMillis = NettyApp.longOption(args, "--shutdown-timeout-ms", -1);

        // NioEventLoopGroup: deprecated in 4.2 (MultiThreadIoEventLoopGroup) but present on 4.1 and 4.2 alike.
        EventLoopGroup boss = new NioEventLoopGroup(1);
        EventLoopGroup workers = new NioEventLoopGroup(1);
        RequestHandler.boss = boss;
        RequestHandler.workers = workers;
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        if (tls != null) {
                            // TLS first, so the idle handlers below see the same (decrypted) traffic as with h2c.
                            ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                        }
                        if (idleTimeoutMillis > 0) {
                            ch.pipeline().addLast(
                                    new IdleStateHandler(0, 0, idleTimeoutMillis, TimeUnit.MILLISECONDS),
                                    new CloseOnIdle());
                        }
                        if (readerIdleMillis > 0) {
                            ch.pipeline().addLast(
                                    new IdleStateHandler(readerIdleMillis, 0, 0, TimeUnit.MILLISECONDS),
                                    new CloseOnIdle());
                        }
                        if (pingIdleMillis > 0) {
                            ch.pipeline().addLast(
                                    new IdleStateHandler(0, pingIdleMillis, 0, TimeUnit.MILLISECONDS),
                                    new PingOnWriterIdle());
                        }
                        if (readTimeoutMillis > 0) {
                            ch.pipeline().addLast(new ReadTimeoutHandler(readTimeoutMillis, TimeUnit.MILLISECONDS));
                        }
                        if (tls != null) {
                            // The usual TLS set-up: the HTTP/2 handlers go in once ALPN has picked h2, after the
                            // handshake (so the codec is added to an active channel, not at connect).
                            ch.pipeline().addLast(new ApplicationProtocolNegotiationHandler(
                                    ApplicationProtocolNames.HTTP_1_1) {
                                @Override
                                protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
                                    if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
                                        addHttp2(ctx.pipeline());
                                        return;
                                    }
                                    System.err.println("ALPN " + protocol + ": this app speaks only h2 over TLS");
                                    ctx.close();
                                }
                            });
                            return;
                        }
                        // h2c with prior knowledge: the connection is HTTP/2 from its first byte.
                        addHttp2(ch.pipeline());
                    }
                });

        Channel server = NettyApp.listen(bootstrap, port);

        // SIGTERM runs the shutdown hooks: close the listener and let the loops finish.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            if (userShutdown) {
                System.err.println("SIGTERM: shutting down");
                RequestHandler.shutdownGroups();
                boss.terminationFuture().awaitUninterruptibly(30, TimeUnit.SECONDS);
                workers.terminationFuture().awaitUninterruptibly(30, TimeUnit.SECONDS);
                System.err.println("SIGTERM: event loops terminated");
                return;
            }
            server.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        }, "netty-server-shutdown"));

        NettyApp.announce(server, "netty-server", tls != null ? " (TLS, ALPN h2)" : "");

        server.closeFuture().sync();
    }

    /** The HTTP/2 handlers: one child channel per stream, HttpObjects for the {@link RequestHandler}. */
    static void addHttp2(ChannelPipeline pipeline) {
        pipeline.addLast(
                Http2FrameCodecBuilder.forServer().build(),
                new Http2MultiplexHandler(new ChannelInitializer<Http2StreamChannel>() {
                    @Override
                    protected void initChannel(Http2StreamChannel stream) {
                        stream.pipeline().addLast(
                                new Http2StreamFrameToHttpObjectCodec(true),
                                new RequestHandler());
                    }
                }));
    }

    /** The usual companion of IdleStateHandler: close the connection when it reports idleness. */
    static final class CloseOnIdle extends ChannelInboundHandlerAdapter {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent) {
                System.err.println("idle: closing " + ctx.channel());
                ctx.close();
                return;
            }
            super.userEventTriggered(ctx, evt);
        }
    }

    /**
     * A keepalive: an HTTP/2 PING on every WRITER_IDLE. Written from the channel (the tail of the pipeline), so it
     * passes the HTTP/2 codec, which turns the frame into bytes.
     */
    static final class PingOnWriterIdle extends ChannelInboundHandlerAdapter {
        private long sent;

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof IdleStateEvent && ((IdleStateEvent) evt).state() == IdleState.WRITER_IDLE) {
                System.err.println("writer idle: PING " + (++sent) + " on " + ctx.channel());
                ctx.channel().writeAndFlush(new DefaultHttp2PingFrame(sent));
                return;
            }
            super.userEventTriggered(ctx, evt);
        }
    }

    /**
     * One per stream (child channel). Reads the whole request (HttpRequest, HttpContent..., LastHttpContent;
     * a request without body arrives as one FullHttpRequest, which is both), then answers by path.
     */
    static final class RequestHandler extends ChannelInboundHandlerAdapter {
        static final String REJECT_UPLOAD = "/h2patch.Test/RejectUpload";
        static final String FAIL_THEN_WRITE = "/h2patch.Test/FailThenWrite";
        static volatile EventLoopGroup boss;
        static volatile EventLoopGroup workers;
        /** {@code --shutdown-quiet-ms} / {@code --shutdown-timeout-ms}; -1: {@code shutdownGracefully()}. */
        static volatile long shutdownQuietMillis = -1;
        static volatile long shutdownTimeoutMillis = -1;

        /** The application's shutdown: Netty's defaults, or the quiet period and timeout given as options. */
        static void shutdownGroups() {
            if (shutdownQuietMillis >= 0 && shutdownTimeoutMillis >= 0) {
                System.err.println("shutdownGracefully(" + shutdownQuietMillis + ", " + shutdownTimeoutMillis
                        + ", MILLISECONDS)");
                boss.shutdownGracefully(shutdownQuietMillis, shutdownTimeoutMillis, TimeUnit.MILLISECONDS);
                workers.shutdownGracefully(shutdownQuietMillis, shutdownTimeoutMillis, TimeUnit.MILLISECONDS);
            } else {
                boss.shutdownGracefully();
                workers.shutdownGracefully();
            }
        }

        private String path;
        private CompositeByteBuf body;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            try {
                if (msg instanceof HttpRequest) {
                    HttpRequest req = (HttpRequest) msg;
                    path = req.uri();
                    body = ctx.alloc().compositeBuffer();
                    System.err.println("request " + req.method() + " " + path);
                    if (path.startsWith(REJECT_UPLOAD)) {
                        body.release();
                        body = null;
                        rejectUpload(ctx);
                        return;
                    }
                    if (path.startsWith(FAIL_THEN_WRITE)) {
                        body.release();
                        body = null;
                        grpcFailThenWrite(ctx);
                        return;
                    }
                }
                if (msg instanceof HttpContent && body != null) {
                    ByteBuf content = ((HttpContent) msg).content();
                    if (content.isReadable()) {
                        // Keep our own reference; the message itself is released in finally.
                        body.addComponent(true, content.retain());
                    }
                }
                if (msg instanceof LastHttpContent && body != null) {
                    ByteBuf requestBody = body;
                    body = null;
                    respond(ctx, path, requestBody);
                }
            } finally {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            // Stream reset or connection gone before the request ended: drop what we collected.
            if (body != null) {
                body.release();
                body = null;
            }
            super.channelInactive(ctx);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            System.err.println("stream error on " + path + ": " + cause);
            ctx.close();
        }

        /** Takes ownership of {@code requestBody}. */
        private static void respond(ChannelHandlerContext ctx, String path, ByteBuf requestBody) {
            String route = path == null ? "" : path;
            int query = route.indexOf('?');
            if (query >= 0) {
                route = route.substring(0, query);
            }
            switch (route) {
                case "/h2patch.Test/Fail":
                    requestBody.release();
                    grpcFailTrailersOnlyBroken(ctx);
                    break;
                case "/h2patch.Test/Echo":
                    grpcEcho(ctx, requestBody);
                    break;
                case "/grpc-lookalike":
                    // Issue 14: /h2patch.Test/Fail's frames with a content type that only starts like gRPC's
                    // ("application/grpcx" is not "application/grpc" nor "application/grpc+..."): not a gRPC response.
                    requestBody.release();
                    HttpResponse lookalike = new DefaultHttpResponse(HTTP_1_1, HttpResponseStatus.OK);
                    lookalike.headers()
                            .set(HttpHeaderNames.CONTENT_TYPE, "application/grpcx")
                            .set("grpc-status", "5");
                    ctx.writeAndFlush(lookalike);
                    ctx.executor().execute(() -> ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT));
                    break;
                case "/empty-same-flush":
                    requestBody.release();
                    ctx.write(textHeadersOnly());
                    ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                    break;
                case "/empty-later":
                    requestBody.release();
                    ctx.writeAndFlush(textHeadersOnly());
                    ctx.executor().execute(() -> ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT));
                    break;
                case "/slow":
                    // Seed 003: answers after ?ms= milliseconds, scheduled on the loop (never blocking it).
                    requestBody.release();
                    ctx.executor().schedule(() -> {
                        ctx.writeAndFlush(fullText(HttpResponseStatus.OK, "slow done\n"));
                    }, queryMillis(path, 3000), TimeUnit.MILLISECONDS);
                    break;
                case "/quiet-stream":
                    // Seed 003: a streaming response, quiet for ?ms= milliseconds between HEADERS and its one DATA.
                    requestBody.release();
                    ctx.writeAndFlush(textHeadersOnly());
                    ctx.executor().schedule(() -> {
                        ctx.writeAndFlush(new DefaultLastHttpContent(
                                Unpooled.copiedBuffer("tick\n", CharsetUtil.UTF_8)));
                    }, queryMillis(path, 3000), TimeUnit.MILLISECONDS);
                    break;
                case "/ticking":
                    // Seed 003: a streaming response that sends a small DATA every 300 ms for ?ms= milliseconds,
                    // then ends; the client has nothing to send meanwhile.
                    requestBody.release();
                    ctx.writeAndFlush(textHeadersOnly());
                    tick(ctx, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(queryMillis(path, 3000)));
                    break;
                case "/admin/shutdown":
                    // Seed 003: shut down the way applications do, once the answer is out.
                    requestBody.release();
                    ctx.writeAndFlush(fullText(HttpResponseStatus.OK, "shutting down\n")).addListener(f -> {
                        System.err.println("admin: shutting down");
                        long start = System.nanoTime();
                        shutdownGroups();
                        Thread waiter = new Thread(() -> {
                            boss.terminationFuture().awaitUninterruptibly();
                            workers.terminationFuture().awaitUninterruptibly();
                            System.err.println("admin: event loops terminated after "
                                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms");
                        }, "admin-shutdown-waiter");
                        waiter.start();
                    });
                    break;
                case "/hello":
                    requestBody.release();
                    ctx.writeAndFlush(fullText(HttpResponseStatus.OK, "hello\n"));
                    break;
                default:
                    requestBody.release();
                    ctx.writeAndFlush(fullText(HttpResponseStatus.NOT_FOUND, "not found\n"));
                    break;
            }
        }

        /**
         * The proxy-safe-reset bug (docs/fixes/proxy-safe-reset.md): a client-streaming gRPC method that rejects the upload as soon as it sees
         * the request HEADERS, before reading any of the body. The answer is complete and correct — one Trailers-Only
         * HEADERS with END_STREAM (a full response, so the end-stream fix is not involved) carrying grpc-status 7 —
         * and then the stream's child channel is closed, which is what real handlers do once they are done. Netty
         * then sends RST_STREAM(CANCEL) because the client has not finished sending; HAProxy forwards it as CANCEL.
         */
        private static void rejectUpload(ChannelHandlerContext ctx) {
            FullHttpResponse resp = new DefaultFullHttpResponse(HTTP_1_1, HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER);
            resp.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, "application/grpc")
                    .set("grpc-status", "7")
                    .set("grpc-message", "upload rejected");
            ctx.writeAndFlush(resp);
            ctx.channel().close();
        }

        /**
         * The end-stream bug (docs/fixes/end-stream.md): a gRPC Trailers-Only error sent as a non-full response whose end comes
         * in a later flush. Http2StreamFrameToHttpObjectCodec turns the HttpResponse into HEADERS without
         * END_STREAM, and EMPTY_LAST_CONTENT into DATA(length 0, END_STREAM). The gRPC spec wants END_STREAM on the
         * HEADERS that carry grpc-status; grpc-java and grpc-go clients report INTERNAL instead of NOT_FOUND
         * (same root cause as golang/go#56317: headers flushed before the handler finished).
         */
        private static void grpcFailTrailersOnlyBroken(ChannelHandlerContext ctx) {
            HttpResponse resp = new DefaultHttpResponse(HTTP_1_1, HttpResponseStatus.OK);
            resp.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, "application/grpc")
                    .set("grpc-status", "5")
                    .set("grpc-message", "no such thing");
            ctx.writeAndFlush(resp);
            // A later event-loop task, so the end of the stream is in a separate flush from the HEADERS.
            ctx.executor().execute(() -> ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT));
        }

        /**
         * Issue 14: the Trailers-Only error of {@code /h2patch.Test/Fail} (HEADERS with grpc-status, no END_STREAM),
         * answered as soon as the request HEADERS arrive (the request stays open, so the stream's child channel does
         * too), then, in a later event-loop task, one more message on the same stream and the end of the stream. With
         * the end-stream fix the HEADERS already carried END_STREAM, so the message cannot be sent: the application
         * must learn that its write failed rather than see it succeed. Each outcome is logged on stderr
         * ({@code late-write: ...}, {@code late-end: ...}).
         */
        private static void grpcFailThenWrite(ChannelHandlerContext ctx) {
            HttpResponse resp = new DefaultHttpResponse(HTTP_1_1, HttpResponseStatus.OK);
            resp.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, "application/grpc")
                    .set("grpc-status", "5")
                    .set("grpc-message", "no such thing");
            ctx.writeAndFlush(resp);
            ctx.executor().execute(() -> {
                byte[] message = "late message".getBytes(CharsetUtil.UTF_8);
                ByteBuf framed = Unpooled.buffer(5 + message.length).writeByte(0).writeInt(message.length)
                        .writeBytes(message);
                ctx.writeAndFlush(new DefaultHttpContent(framed))
                        .addListener(f -> System.err.println("late-write: " + outcome(f)));
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT)
                        .addListener(f -> System.err.println("late-end: " + outcome(f)));
            });
        }

        private static String outcome(io.netty.util.concurrent.Future<?> f) {
            return f.isSuccess() ? "succeeded" : "failed: " + f.cause();
        }

        /**
         * A correct gRPC unary response: HEADERS(200, application/grpc), DATA with the request's length-prefixed
         * message unchanged, then trailers (grpc-status 0) on HEADERS with END_STREAM. The codec turns a
         * LastHttpContent with trailing headers and no content into that trailing HEADERS frame alone.
         */
        private static void grpcEcho(ChannelHandlerContext ctx, ByteBuf requestBody) {
            HttpResponse resp = new DefaultHttpResponse(HTTP_1_1, HttpResponseStatus.OK);
            resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/grpc");
            LastHttpContent trailers = new DefaultLastHttpContent(Unpooled.EMPTY_BUFFER);
            trailers.trailingHeaders().set("grpc-status", "0");
            ctx.write(resp);
            ctx.write(new DefaultHttpContent(requestBody));
            ctx.writeAndFlush(trailers);
        }

        private static void tick(ChannelHandlerContext ctx, long endNanos) {
            ctx.executor().schedule(() -> {
                if (!ctx.channel().isActive()) {
                    return;
                }
                if (System.nanoTime() - endNanos >= 0) {
                    ctx.writeAndFlush(new DefaultLastHttpContent(Unpooled.copiedBuffer("done\n", CharsetUtil.UTF_8)));
                    return;
                }
                ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer("tick\n", CharsetUtil.UTF_8)));
                tick(ctx, endNanos);
            }, 300, TimeUnit.MILLISECONDS);
        }

        private static long queryMillis(String path, long defaultMillis) {
            int at = path.indexOf("ms=");
            if (at < 0) {
                return defaultMillis;
            }
            int end = path.indexOf('&', at);
            return Long.parseLong(path.substring(at + 3, end < 0 ? path.length() : end));
        }

        private static HttpResponse textHeadersOnly() {
            HttpResponse resp = new DefaultHttpResponse(HTTP_1_1, HttpResponseStatus.OK);
            resp.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
            return resp;
        }

        private static FullHttpResponse fullText(HttpResponseStatus status, String text) {
            FullHttpResponse resp = new DefaultFullHttpResponse(HTTP_1_1, status,
                    Unpooled.copiedBuffer(text, CharsetUtil.UTF_8));
            resp.headers()
                    .set(HttpHeaderNames.CONTENT_TYPE, "text/plain")
                    .setInt(HttpHeaderNames.CONTENT_LENGTH, resp.content().readableBytes());
            return resp;
        }
    }
}
