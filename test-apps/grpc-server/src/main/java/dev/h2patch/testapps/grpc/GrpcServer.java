package dev.h2patch.testapps.grpc;

import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.stub.ServerCalls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;

/**
 * A plain, correct grpc-java server (h2c, Netty shaded transport) for service {@code h2patch.Test}, written
 * without protoc: byte[] pass-through marshallers and a hand-built {@link ServerServiceDefinition}.
 *
 * <ul>
 *   <li>{@code Fail}: NOT_FOUND "no such thing"; grpc-java sends it as one Trailers-Only HEADERS frame with
 *       END_STREAM, the shape the buggy Netty apps (seed 002) fail to produce.</li>
 *   <li>{@code Echo}: returns the request message unchanged.</li>
 * </ul>
 *
 * <p>Usage: {@code java -jar grpc-server.jar --port P} (0 = ephemeral). Prints {@code READY <port>} on stdout
 * once it listens on 127.0.0.1; logs go to stderr; runs until killed.
 *
 * <p>{@code --tls --keystore PATH [--keystore-password P]}: TLS with ALPN h2 instead of h2c, set up as grpc-java's
 * documentation does it ({@link GrpcSslContexts#configure(SslContextBuilder)} on a key manager: ALPN h2 only, the
 * HTTP/2 cipher suites, and the provider grpc-java picks by default).
 */
public final class GrpcServer {

    static final String SERVICE = "h2patch.Test";

    /** Passes message bytes through untouched (the test clients send whatever bytes they like). */
    static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    static final MethodDescriptor<byte[], byte[]> FAIL = unary("Fail");
    static final MethodDescriptor<byte[], byte[]> ECHO = unary("Echo");

    private GrpcServer() {
    }

    private static MethodDescriptor<byte[], byte[]> unary(String method) {
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, method))
                .setRequestMarshaller(BYTES)
                .setResponseMarshaller(BYTES)
                .build();
    }

    static ServerServiceDefinition service() {
        return ServerServiceDefinition.builder(SERVICE)
                .addMethod(FAIL, ServerCalls.asyncUnaryCall((request, responseObserver) ->
                        responseObserver.onError(Status.NOT_FOUND.withDescription("no such thing").asRuntimeException())))
                .addMethod(ECHO, ServerCalls.asyncUnaryCall((request, responseObserver) -> {
                    responseObserver.onNext(request);
                    responseObserver.onCompleted();
                }))
                .build();
    }

    public static void main(String[] args) throws Exception {
        int port = parsePort(args);
        NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
                .addService(service());
        boolean tls = flag(args, "--tls");
        if (tls) {
            builder.sslContext(GrpcSslContexts.configure(SslContextBuilder.forServer(keyManagers(args))).build());
        }
        Server server = builder.build().start();

        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.shutdown();
            try {
                if (!server.awaitTermination(2, TimeUnit.SECONDS)) {
                    server.shutdownNow();
                }
            } catch (InterruptedException e) {
                server.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }, "grpc-server-shutdown"));

        System.out.println("READY " + server.getPort());
        System.out.flush();
        System.err.println("grpc-server listening on 127.0.0.1:" + server.getPort() + (tls ? " (TLS, ALPN h2)" : ""));

        server.awaitTermination();
    }

    /** The key of {@code --keystore PATH} (PKCS12, password {@code --keystore-password}, default changeit). */
    private static KeyManagerFactory keyManagers(String[] args) throws Exception {
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
        return keys;
    }

    private static boolean flag(String[] args, String name) {
        for (String arg : args) {
            if (name.equals(arg)) {
                return true;
            }
        }
        return false;
    }

    private static String option(String[] args, String name, String fallback) {
        for (int i = 0; i < args.length - 1; i++) {
            if (name.equals(args[i])) {
                return args[i + 1];
            }
        }
        return fallback;
    }

    private static int parsePort(String[] args) {
        for (int i = 0; i < args.length - 1; i++) {
            if ("--port".equals(args[i])) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        for (String arg : args) {
            if (arg.startsWith("--port=")) {
                return Integer.parseInt(arg.substring("--port=".length()));
            }
        }
        throw new IllegalArgumentException("usage: --port P (0 = ephemeral)");
    }
}
