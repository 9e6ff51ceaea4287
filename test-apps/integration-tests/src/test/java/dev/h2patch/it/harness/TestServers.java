package dev.h2patch.it.harness;

import dev.h2patch.it.GrpcCalls;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/** In-process servers for the harness self-test, so the harness is checked without the apps or the agent. */
public final class TestServers {
    private TestServers() {}

    /** A correct grpc-java server (grpc-netty-shaded) with h2patch.Test/Fail (NOT_FOUND) and h2patch.Test/Echo. */
    public static final class Grpc implements AutoCloseable {
        final Server server;

        public Grpc() throws Exception {
            ServerServiceDefinition svc = ServerServiceDefinition.builder("h2patch.Test")
                    .addMethod(GrpcCalls.unaryMethod(Wire.FAIL), ServerCalls.<byte[], byte[]>asyncUnaryCall(
                            (req, obs) -> obs.onError(
                                    Status.NOT_FOUND.withDescription("no such thing").asRuntimeException())))
                    .addMethod(GrpcCalls.unaryMethod(Wire.ECHO), ServerCalls.<byte[], byte[]>asyncUnaryCall(
                            (req, obs) -> {
                                obs.onNext(req);
                                obs.onCompleted();
                            }))
                    .build();
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                    .addService(svc)
                    .build()
                    .start();
        }

        public int port() {
            return server.getPort();
        }

        @Override
        public void close() throws InterruptedException {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /**
     * A Netty 4.1 HTTP/2 server with the end-stream bug (docs/bugs.md#end-stream): every request is answered with HEADERS (application/grpc,
     * grpc-status 5, grpc-message "no such thing") without END_STREAM, then DATA len 0 with END_STREAM.
     */
    public static final class Buggy implements AutoCloseable {
        final EventLoopGroup group = new NioEventLoopGroup(1);
        final Channel channel;

        public Buggy() throws InterruptedException {
            channel = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(Http2FrameCodecBuilder.forServer().build(), new Handler());
                        }
                    })
                    .bind("127.0.0.1", 0).sync().channel();
        }

        public int port() {
            return ((InetSocketAddress) channel.localAddress()).getPort();
        }

        @Override
        public void close() {
            channel.close().syncUninterruptibly();
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        }

        private static final class Handler extends ChannelInboundHandlerAdapter {
            @Override
            public void channelRead(ChannelHandlerContext ctx, Object msg) {
                try {
                    Http2FrameStream stream = null;
                    if (msg instanceof Http2HeadersFrame && ((Http2HeadersFrame) msg).isEndStream()) {
                        stream = ((Http2HeadersFrame) msg).stream();
                    } else if (msg instanceof Http2DataFrame && ((Http2DataFrame) msg).isEndStream()) {
                        stream = ((Http2DataFrame) msg).stream();
                    }
                    if (stream != null) {
                        Http2Headers h = new DefaultHttp2Headers().status("200");
                        h.add("content-type", "application/grpc");
                        h.add("grpc-status", "5");
                        h.add("grpc-message", "no such thing");
                        ctx.write(new DefaultHttp2HeadersFrame(h, false).stream(stream));
                        ctx.writeAndFlush(new DefaultHttp2DataFrame(Unpooled.EMPTY_BUFFER, true).stream(stream));
                    }
                } finally {
                    ReferenceCountUtil.release(msg);
                }
            }
        }
    }
}
