package dev.h2patch.testapps.grpc;

import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

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
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
                .addService(service())
                .build()
                .start();

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
        System.err.println("grpc-server listening on 127.0.0.1:" + server.getPort());

        server.awaitTermination();
    }

    private static int parsePort(String[] args) {
        for (int i = 0; i < args.length - 1; i++) {
            if ("--port".equals(args[i])) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        if (args.length == 1 && args[0].startsWith("--port=")) {
            return Integer.parseInt(args[0].substring("--port=".length()));
        }
        throw new IllegalArgumentException("usage: --port P (0 = ephemeral)");
    }
}
