package dev.h2patch.testapps.relay;

import dev.h2patch.testapps.netty.NettyApp;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.ReferenceCountUtil;

import java.net.InetSocketAddress;

/**
 * A TCP relay written the way Netty's HexDumpProxy example is: each accepted connection gets its own backend
 * connection, and bytes are written through unchanged in both directions. No HTTP/2 handler is ever in either
 * pipeline; HTTP/2 goes through it only because the backend speaks it.
 *
 * <p>Usage: {@code java -jar netty-relay-server.jar --port P --backend HOST:PORT [--connect-on-first-read]}
 * (0 = ephemeral). Prints {@code READY <port>} on stdout once it listens on 127.0.0.1; logs go to stderr.
 * <ul>
 *   <li>default, HexDumpProxy: the backend connection is opened when the client connects, and the client's bytes are
 *       read only once it is up ({@code AUTO_READ} off), so every read is written on at once;</li>
 *   <li>{@code --connect-on-first-read}: the backend connection is opened on the client's first read, and the bytes
 *       that arrive meanwhile are kept in a buffer field until it is up (a relay that picks or dials its backend
 *       late). Here the client preface sits, undecided, in a buffer of the handler, just as in a port sniffer; only
 *       the reference to the backend connection tells the two apart.</li>
 * </ul>
 */
public final class RelayServer {

    private RelayServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = NettyApp.port(args);
        String backend = NettyApp.option(args, "--backend", null);
        if (backend == null || !backend.contains(":")) {
            throw new IllegalArgumentException("usage: --port P --backend HOST:PORT [--connect-on-first-read]");
        }
        InetSocketAddress backendAddress = new InetSocketAddress(backend.substring(0, backend.lastIndexOf(':')),
                Integer.parseInt(backend.substring(backend.lastIndexOf(':') + 1)));
        boolean lazy = NettyApp.flag(args, "--connect-on-first-read");
        EventLoopGroup boss = new NioEventLoopGroup(1);
        EventLoopGroup workers = new NioEventLoopGroup(1);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.AUTO_READ, lazy)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("relay", lazy ? new LazyFrontend(backendAddress)
                                : new Frontend(backendAddress));
                    }
                });
        Channel server = NettyApp.listen(bootstrap, port);
        NettyApp.closeQuicklyOnExit(server, boss, workers, "relay-server-shutdown");
        NettyApp.announce(server, "netty-relay-server", ", relaying to " + backend
                + (lazy ? " (connect on first read)" : ""));
        server.closeFuture().sync();
    }

    /** Opens the backend connection on {@code inbound}'s event loop; {@code backendHandler} relays back. */
    static ChannelFuture connect(Channel inbound, InetSocketAddress backend) {
        return new Bootstrap()
                .group(inbound.eventLoop())
                .channel(NioSocketChannel.class)
                .option(ChannelOption.AUTO_READ, false)
                .handler(new Backend(inbound))
                .connect(backend);
    }

    static void closeOnFlush(Channel ch) {
        if (ch != null && ch.isActive()) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** HexDumpProxyFrontendHandler: backend first, then read the client and write each read on. */
    static final class Frontend extends ChannelInboundHandlerAdapter {
        private final InetSocketAddress backend;
        private Channel outboundChannel;

        Frontend(InetSocketAddress backend) {
            this.backend = backend;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            Channel inbound = ctx.channel();
            ChannelFuture f = connect(inbound, backend);
            outboundChannel = f.channel();
            f.addListener((ChannelFutureListener) future -> {
                if (future.isSuccess()) {
                    inbound.read();
                } else {
                    System.err.println("relay: backend connect failed: " + future.cause());
                    inbound.close();
                }
            });
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (outboundChannel.isActive()) {
                outboundChannel.writeAndFlush(msg).addListener((ChannelFutureListener) future -> {
                    if (future.isSuccess()) {
                        ctx.channel().read();
                    } else {
                        future.channel().close();
                    }
                });
            } else {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closeOnFlush(outboundChannel);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            System.err.println("relay: " + cause);
            closeOnFlush(ctx.channel());
        }
    }

    /** Reads the client at once; opens the backend on the first read and keeps the bytes until it is up. */
    static final class LazyFrontend extends ChannelInboundHandlerAdapter {
        private final InetSocketAddress backend;
        private Channel outboundChannel;
        private ByteBuf pending;

        LazyFrontend(InetSocketAddress backend) {
            this.backend = backend;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (outboundChannel != null && outboundChannel.isActive() && pending == null) {
                outboundChannel.writeAndFlush(msg);
                return;
            }
            ByteBuf in = (ByteBuf) msg;
            try {
                if (pending == null) {
                    pending = ctx.alloc().buffer(in.readableBytes());
                }
                pending.writeBytes(in);
            } finally {
                in.release();
            }
            if (outboundChannel != null) {
                return; // still connecting: the bytes wait in pending
            }
            Channel inbound = ctx.channel();
            ChannelFuture f = connect(inbound, backend);
            outboundChannel = f.channel();
            f.addListener((ChannelFutureListener) future -> {
                if (!future.isSuccess()) {
                    System.err.println("relay: backend connect failed: " + future.cause());
                    inbound.close();
                    return;
                }
                ByteBuf kept = pending;
                pending = null;
                if (kept != null) {
                    outboundChannel.writeAndFlush(kept);
                }
            });
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (pending != null) {
                pending.release();
                pending = null;
            }
            closeOnFlush(outboundChannel);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            System.err.println("relay: " + cause);
            closeOnFlush(ctx.channel());
        }
    }

    /** HexDumpProxyBackendHandler: writes the backend's bytes to the client. */
    static final class Backend extends ChannelInboundHandlerAdapter {
        private final Channel inboundChannel;

        Backend(Channel inboundChannel) {
            this.inboundChannel = inboundChannel;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            ctx.read();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            inboundChannel.writeAndFlush(msg).addListener((ChannelFutureListener) future -> {
                if (future.isSuccess()) {
                    ctx.channel().read();
                } else {
                    future.channel().close();
                }
            });
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closeOnFlush(inboundChannel);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            System.err.println("relay backend: " + cause);
            closeOnFlush(ctx.channel());
        }
    }
}
