package dev.h2patch.testapps.armeria;

import com.linecorp.armeria.common.HttpResponse;
import com.linecorp.armeria.common.MediaType;
import com.linecorp.armeria.server.Server;
import com.linecorp.armeria.server.ServerBuilder;
import com.linecorp.armeria.server.grpc.GrpcService;

import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import javax.net.ssl.KeyManagerFactory;

/**
 * An Armeria application as its users build it: {@code Server.builder()} with a {@link GrpcService} serving
 * {@code h2patch.Test} (grpc-java service definitions, byte[] marshallers, no protoc) on Armeria's own HTTP/2 stack,
 * and plain HTTP services beside it, with Armeria's defaults:
 *
 * <ul>
 *   <li>{@code Fail}: NOT_FOUND "no such thing"; {@code Echo}: the message back; an unknown method: Armeria's own
 *       answer.</li>
 *   <li>{@code RejectUpload}: PERMISSION_DENIED "upload rejected" as soon as the call starts (a client-streaming
 *       method: the server answers before it has read the request; docs/bugs.md#proxy-safe-reset).</li>
 *   <li>{@code GET /hello}; {@code GET /slow?ms=N}; {@code GET /admin/shutdown}: {@code server.stop()} with Armeria's
 *       default graceful shutdown settings.</li>
 * </ul>
 *
 * <p>Usage: {@code java -jar armeria-server.jar --port P} (0 = ephemeral) on 127.0.0.1: HTTP/1.1 and h2c (by
 * preface or upgrade) on one port. {@code --tls --keystore PATH [--keystore-password P]}: the port is HTTPS instead
 * (ALPN h2). Prints {@code READY <port>} on stdout once it listens.
 */
public final class ArmeriaServer {

    static final String SERVICE = "h2patch.Test";

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

    private ArmeriaServer() {
    }

    static MethodDescriptor<byte[], byte[]> method(String name, MethodDescriptor.MethodType type) {
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(type)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, name))
                .setRequestMarshaller(BYTES)
                .setResponseMarshaller(BYTES)
                .build();
    }

    static ServerServiceDefinition service() {
        return ServerServiceDefinition.builder(SERVICE)
                .addMethod(method("Fail", MethodDescriptor.MethodType.UNARY),
                        ServerCalls.asyncUnaryCall((request, responseObserver) -> responseObserver.onError(
                                Status.NOT_FOUND.withDescription("no such thing").asRuntimeException())))
                .addMethod(method("Echo", MethodDescriptor.MethodType.UNARY),
                        ServerCalls.asyncUnaryCall((request, responseObserver) -> {
                            responseObserver.onNext(request);
                            responseObserver.onCompleted();
                        }))
                .addMethod(method("RejectUpload", MethodDescriptor.MethodType.CLIENT_STREAMING),
                        ServerCalls.asyncClientStreamingCall(responseObserver -> {
                            responseObserver.onError(Status.PERMISSION_DENIED.withDescription("upload rejected")
                                    .asRuntimeException());
                            return new StreamObserver<byte[]>() {
                                @Override
                                public void onNext(byte[] value) {
                                }

                                @Override
                                public void onError(Throwable t) {
                                }

                                @Override
                                public void onCompleted() {
                                }
                            };
                        }))
                .build();
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(option(args, "--port", "0"));
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        ServerBuilder builder = Server.builder();
        boolean tls = flag(args, "--tls");
        if (tls) {
            builder.https(address).tls(keyManagers(args));
        } else {
            builder.http(address);
        }
        Server[] self = new Server[1];
        builder.service(GrpcService.builder().addService(service()).build())
                .service("/hello", (ctx, req) -> HttpResponse.of("hello\n"))
                .service("/slow", (ctx, req) -> {
                    long ms = Long.parseLong(ctx.queryParams().get("ms", "1000"));
                    return HttpResponse.delayed(HttpResponse.of(MediaType.PLAIN_TEXT_UTF_8, "slow " + ms + " ms\n"),
                            Duration.ofMillis(ms));
                })
                .service("/admin/shutdown", (ctx, req) -> {
                    ctx.log().whenComplete().thenRun(() -> new Thread(() -> {
                        self[0].stop().join();
                        System.exit(0);
                    }, "admin-shutdown").start());
                    return HttpResponse.of("shutting down\n");
                });
        Server server = builder.build();
        self[0] = server;
        server.closeOnJvmShutdown();
        server.start().join();
        int actual = server.activeLocalPort();
        System.out.println("READY " + actual);
        System.out.flush();
        System.err.println("armeria-server listening on 127.0.0.1:" + actual + (tls ? " (TLS, ALPN h2)" : ""));
    }

    static KeyManagerFactory keyManagers(String[] args) throws Exception {
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

    static boolean flag(String[] args, String name) {
        for (String arg : args) {
            if (name.equals(arg)) {
                return true;
            }
        }
        return false;
    }

    static String option(String[] args, String name, String fallback) {
        for (int i = 0; i < args.length - 1; i++) {
            if (name.equals(args[i])) {
                return args[i + 1];
            }
        }
        return fallback;
    }
}
