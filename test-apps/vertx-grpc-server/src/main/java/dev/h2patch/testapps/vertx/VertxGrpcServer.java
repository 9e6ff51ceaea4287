package dev.h2patch.testapps.vertx;

import io.grpc.MethodDescriptor;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.PfxOptions;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerResponse;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A Vert.x 4 application as its users build it: vertx-core's {@link HttpServer} (h2c by the client preface or by
 * upgrade, HTTP/1.1 first: Vert.x's defaults) with vertx-grpc-server's {@link GrpcServer} as the handler of the gRPC
 * requests (service {@code h2patch.Test}, methods registered with grpc-java {@link MethodDescriptor}s and byte[]
 * marshallers, no protoc), and plain HTTP routes beside it:
 *
 * <ul>
 *   <li>{@code Fail}: NOT_FOUND "no such thing" ({@code response.status(...).statusMessage(...).end()}); with
 *       {@code --fail-trailers} the same with a custom trailer {@code x-h2patch-detail} (the shape the issue reports
 *       as reaching grpc-go as Unknown).</li>
 *   <li>{@code FailWithTrailers}: NOT_FOUND with the custom trailer, always.</li>
 *   <li>{@code Echo}: the request message back. An unknown method: Vert.x's own answer (UNIMPLEMENTED).</li>
 *   <li>{@code RejectUpload}: PERMISSION_DENIED "upload rejected" answered before the request is read (the upload
 *       goes on: docs/bugs.md#proxy-safe-reset).</li>
 *   <li>{@code GET /hello}; {@code GET /slow?ms=N}; {@code GET /admin/shutdown}: the application's own shutdown,
 *       {@code vertx.close()} (Vert.x 4 has no graceful HTTP server shutdown).</li>
 * </ul>
 *
 * <p>Usage: {@code java -jar vertx-grpc-server.jar --port P} (0 = ephemeral) on 127.0.0.1. {@code --tls --keystore
 * PATH [--keystore-password P]}: TLS with ALPN (h2, http/1.1) from the PKCS12 key store. Prints {@code READY <port>}
 * on stdout once it listens.
 */
public final class VertxGrpcServer {

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

    private VertxGrpcServer() {
    }

    static MethodDescriptor<byte[], byte[]> unary(String method) {
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, method))
                .setRequestMarshaller(BYTES)
                .setResponseMarshaller(BYTES)
                .build();
    }

    static void failWithTrailers(GrpcServerResponse<byte[], byte[]> response) {
        response.trailers().set("x-h2patch-detail", "custom trailer");
        response.status(GrpcStatus.NOT_FOUND).statusMessage("no such thing").end();
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(option(args, "--port", "0"));
        boolean failTrailers = flag(args, "--fail-trailers");
        Vertx vertx = Vertx.vertx();

        GrpcServer grpc = GrpcServer.server(vertx);
        grpc.callHandler(unary("Fail"), request -> {
            if (failTrailers) {
                failWithTrailers(request.response());
            } else {
                request.response().status(GrpcStatus.NOT_FOUND).statusMessage("no such thing").end();
            }
        });
        grpc.callHandler(unary("FailWithTrailers"), request -> failWithTrailers(request.response()));
        grpc.callHandler(unary("Echo"), request -> request.handler(message -> request.response().end(message)));
        // Answers before reading the request: the client may still be uploading.
        grpc.callHandler(unary("RejectUpload"), request -> request.response()
                .status(GrpcStatus.PERMISSION_DENIED).statusMessage("upload rejected").end());

        HttpServerOptions options = new HttpServerOptions().setHost("127.0.0.1").setPort(port);
        boolean tls = flag(args, "--tls");
        if (tls) {
            String keystore = option(args, "--keystore", null);
            if (keystore == null) {
                throw new IllegalArgumentException("--tls needs --keystore PATH (a PKCS12 key store)");
            }
            options.setSsl(true).setUseAlpn(true).setKeyCertOptions(new PfxOptions().setPath(keystore)
                    .setPassword(option(args, "--keystore-password", "changeit")));
        }
        HttpServer server = vertx.createHttpServer(options).requestHandler(request -> {
            String contentType = request.getHeader("content-type");
            if (contentType != null && contentType.startsWith("application/grpc")) {
                grpc.handle(request);
            } else {
                http(vertx, request);
            }
        });
        int actual = server.listen().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS).actualPort();

        Runtime.getRuntime().addShutdownHook(new Thread(() -> closeQuietly(vertx), "vertx-shutdown"));
        System.out.println("READY " + actual);
        System.out.flush();
        System.err.println("vertx-grpc-server listening on 127.0.0.1:" + actual + (tls ? " (TLS, ALPN h2)" : ""));
    }

    static void http(Vertx vertx, HttpServerRequest request) {
        switch (request.path()) {
            case "/hello" -> request.response().putHeader("content-type", "text/plain").end("hello\n");
            case "/slow" -> {
                String ms = request.getParam("ms", "1000");
                vertx.setTimer(Long.parseLong(ms), id -> request.response().putHeader("content-type", "text/plain")
                        .end("slow " + ms + " ms\n"));
            }
            case "/admin/shutdown" -> request.response().putHeader("content-type", "text/plain")
                    .end("shutting down\n").onComplete(done -> vertx.setTimer(100, id -> new Thread(() -> {
                        closeQuietly(vertx);
                        System.exit(0);
                    }, "admin-shutdown").start()));
            default -> request.response().setStatusCode(404).end();
        }
    }

    static void closeQuietly(Vertx vertx) {
        CompletableFuture<Void> closed = vertx.close().toCompletionStage().toCompletableFuture();
        try {
            closed.get(10, TimeUnit.SECONDS);
        } catch (Exception e) {
            System.err.println("vertx close: " + e);
        }
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
