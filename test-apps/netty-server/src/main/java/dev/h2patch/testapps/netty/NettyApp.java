package dev.h2patch.testapps.netty;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;

import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;

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

    /**
     * {@code --tls}: the server's TLS context (the JDK provider, ALPN offering h2 then http/1.1), or null without the
     * flag. The key comes from the PKCS12 key store {@code --keystore PATH} (password {@code --keystore-password},
     * default {@code changeit}); the integration tests generate it with keytool at test time, none is committed.
     */
    public static SslContext tlsContext(String[] args) throws Exception {
        if (!flag(args, "--tls")) {
            return null;
        }
        String path = option(args, "--keystore", null);
        if (path == null) {
            throw new IllegalArgumentException("--tls needs --keystore PATH (a PKCS12 key store)");
        }
        char[] password = option(args, "--keystore-password", "changeit").toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(Path.of(path))) {
            store.load(in, password);
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, password);
        // NO_ADVERTISE/ACCEPT: the usual server choice (Netty's examples, Reactor Netty, Armeria).
        return SslContextBuilder.forServer(keys)
                .sslProvider(SslProvider.JDK)
                .applicationProtocolConfig(new ApplicationProtocolConfig(
                        ApplicationProtocolConfig.Protocol.ALPN,
                        ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                        ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
                        ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1))
                .build();
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
