package dev.h2patch.testapps.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * What every Netty test app does at start-up (netty-server, netty-sniffer-server, netty-relay-server, which compile
 * this family's sources): read its options, listen on 127.0.0.1, print {@code READY <port>} on stdout, the line the
 * tests wait for, and on SIGTERM close quickly.
 */
public final class NettyApp {

    private NettyApp() {
    }

    /** {@code --port P} or {@code --port=P} (0 = ephemeral). */
    public static int port(String[] args) {
        String port = option(args, "--port", null);
        if (port == null) {
            throw new IllegalArgumentException("usage: --port P (0 = ephemeral)");
        }
        return Integer.parseInt(port);
    }

    /** The value of {@code name} ({@code name V} or {@code name=V}), or {@code absent}. */
    public static String option(String[] args, String name, String absent) {
        for (int i = 0; i < args.length - 1; i++) {
            if (name.equals(args[i])) {
                return args[i + 1];
            }
        }
        for (String arg : args) {
            if (arg.startsWith(name + "=")) {
                return arg.substring(name.length() + 1);
            }
        }
        return absent;
    }

    /** {@link #option} as a number. */
    public static long longOption(String[] args, String name, long absent) {
        String value = option(args, name, null);
        return value == null ? absent : Long.parseLong(value);
    }

    /** Whether the flag {@code name} is given. */
    public static boolean flag(String[] args, String name) {
        for (String arg : args) {
            if (name.equals(arg)) {
                return true;
            }
        }
        return false;
    }

    /** Binds {@code bootstrap} to 127.0.0.1:{@code port} and returns the listening channel. */
    public static Channel listen(ServerBootstrap bootstrap, int port) throws InterruptedException {
        return bootstrap.bind(new InetSocketAddress("127.0.0.1", port)).sync().channel();
    }

    /** On SIGTERM: close the listener, then both loops with no quiet period (the tests stop apps often). */
    public static void closeQuicklyOnExit(Channel server, EventLoopGroup boss, EventLoopGroup workers, String thread) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
        }, thread));
    }

    /** Prints {@code READY <port>} on stdout and {@code APP listening on 127.0.0.1:<port>DETAIL} on stderr. */
    public static void announce(Channel server, String app, String detail) {
        int port = ((InetSocketAddress) server.localAddress()).getPort();
        System.out.println("READY " + port);
        System.out.flush();
        System.err.println(app + " listening on 127.0.0.1:" + port + detail);
    }
}
