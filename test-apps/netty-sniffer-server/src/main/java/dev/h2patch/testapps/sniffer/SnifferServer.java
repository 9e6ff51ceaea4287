package dev.h2patch.testapps.sniffer;

import dev.h2patch.testapps.netty.NettyApp;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;

/**
 * HTTP/1, HTTP/2 and gRPC on one port behind an in-process sniffer ({@link Sniffer}) that routes each connection by
 * its first request: the shape of Go's cmux with {@code HTTP2MatchHeaderFieldPrefix("content-type",
 * "application/grpc")} and no {@code MatchWithWriters} (seed 000). The server writes nothing until it has routed the
 * connection, so a client that waits for the server's SETTINGS before sending HEADERS (grpc-go ≥ 1.18) never gets
 * an answer.
 *
 * <p>Usage: {@code java -jar netty-sniffer-server.jar --port P [--header-table-size N] [--decoder]} (0 = ephemeral).
 * With {@code --decoder} the sniffer is {@link DecoderSniffer}, the same logic written as a
 * {@code ByteToMessageDecoder}. Prints
 * {@code READY <port>} on stdout once it listens on 127.0.0.1; logs go to stderr; runs until killed. With
 * {@code --header-table-size} the HTTP/2 codec announces that HPACK table size in its SETTINGS; Netty's decoder
 * applies it only when the client acknowledges them (and then insists on a table size update from the client), which
 * makes the SETTINGS-ACK accounting visible on the wire.
 */
public final class SnifferServer {

    private SnifferServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = NettyApp.port(args);
        long headerTableSize = NettyApp.longOption(args, "--header-table-size", -1);
        boolean decoder = NettyApp.flag(args, "--decoder");
        EventLoopGroup boss = new NioEventLoopGroup(1);
        EventLoopGroup workers = new NioEventLoopGroup(1);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ch.pipeline().addLast("sniffer", decoder ? new DecoderSniffer(headerTableSize)
                                : new Sniffer(headerTableSize));
                    }
                });
        Channel server = NettyApp.listen(bootstrap, port);
        NettyApp.closeQuicklyOnExit(server, boss, workers, "sniffer-server-shutdown");
        NettyApp.announce(server, "netty-sniffer-server", "");
        server.closeFuture().sync();
    }
}
