package dev.h2patch.testapps.undertow;

import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.BlockingHandler;
import io.undertow.server.handlers.GracefulShutdownHandler;
import io.undertow.server.protocol.http.HttpAttachments;
import io.undertow.util.HeaderMap;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyStore;
import java.util.Arrays;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.xnio.channels.StreamSinkChannel;

/**
 * h2c (prior knowledge) test server on unmodified Undertow (compiled against 2.2 by undertow22-server, 2.3 by
 * undertow23-server and 2.4 by undertow24-server: only undertow-core's native API, the same on the three lines):
 * {@code Undertow.builder().addHttpListener(port, host).setServerOption(UndertowOptions.ENABLE_HTTP2, true)}, native
 * handlers inside a {@link BlockingHandler}, behind a {@link GracefulShutdownHandler}.
 *
 * <p>Routes (the same behaviour as the other test apps):
 * <ul>
 *   <li>{@code /h2patch.Test/Fail}: the end-stream bug. A gRPC Trailers-Only error (grpc-status 5, "no such thing")
 *       in the response headers, flushed with no body ({@code getOutputStream().flush()}), then the handler returns:
 *       Undertow sends HEADERS without END_STREAM, then DATA(0, END_STREAM). (Without the flush it is one
 *       HEADERS(END_STREAM).)</li>
 *   <li>{@code /h2patch.Test/FailThenWrite}: the same, then one more gRPC message written after the flush.</li>
 *   <li>{@code /h2patch.Test/Echo}: a correct gRPC answer: headers, the request's bytes, trailers grpc-status 0.</li>
 *   <li>{@code /h2patch.Test/RejectUpload}: the proxy-safe-reset scenario: a complete gRPC error (grpc-status 7,
 *       "upload rejected") answered before any of the request body is read.</li>
 *   <li>{@code /hello}: 200 {@code hello\n}; {@code /empty-later}: text/plain committed empty (flushed), then
 *       completed (HEADERS, DATA(0, END_STREAM): valid HTTP/2, the non-gRPC shape of the same frames).</li>
 *   <li>{@code /flush-spin}: 200 {@code spin\n} through the response channel, then {@code flush()} in a loop: opens
 *       Undertow's race between a response's last frame and the mark that it is complete (see
 *       {@link #flushSpin}).</li>
 *   <li>{@code /slow?ms=N}: 200 {@code slow\n} after N ms; {@code /quiet-stream?ms=N}: headers at once, then
 *       nothing for N ms, then {@code tick\n} and the end.</li>
 *   <li>{@code /admin/shutdown}: answers, then a graceful stop on its own thread: {@code
 *       GracefulShutdownHandler.shutdown()}, {@code awaitShutdown(10 s)}, then {@code Undertow.stop()}; the process
 *       then exits.</li>
 * </ul>
 *
 * <p>Usage: {@code java -jar undertow22-server.jar --port P [--tls --keystore PATH [--keystore-password P]]} (port 0 =
 * ephemeral). Prints {@code READY <port>} on stdout once it listens on 127.0.0.1; logs go to stderr. {@code --tls}:
 * an HTTPS listener (Undertow's own ALPN, h2 and http/1.1) on the main port instead of h2c.
 */
public final class UndertowServer {

    static final long STOP_TIMEOUT_MS = 10000;

    private UndertowServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = parsePort(args);
        boolean tls = Arrays.asList(args).contains("--tls");
        CountDownLatch stopped = new CountDownLatch(1);
        Undertow[] server = new Undertow[1];
        GracefulShutdownHandler[] graceful = new GracefulShutdownHandler[1];
        graceful[0] = new GracefulShutdownHandler(new BlockingHandler(exchange -> {
            if ("/admin/shutdown".equals(exchange.getRequestPath())) {
                text(exchange, 200, "stopping\n");
                Thread stopper = new Thread(() -> stop(server[0], graceful[0], stopped), "app-stopper");
                stopper.start();
                return;
            }
            handle(exchange);
        }));
        Undertow.Builder builder = Undertow.builder()
                .setServerOption(UndertowOptions.ENABLE_HTTP2, true)
                .setServerOption(UndertowOptions.ALWAYS_SET_DATE, false) // byte-identical responses from run to run
                .setHandler(graceful[0]);
        if (tls) {
            builder.addHttpsListener(port, "127.0.0.1", sslContext(args));
        } else {
            builder.addHttpListener(port, "127.0.0.1");
        }
        server[0] = builder.build();
        server[0].start();
        int actual = ((InetSocketAddress) server[0].getListenerInfo().get(0).getAddress()).getPort();
        System.out.println("READY " + actual);
        System.out.flush();
        System.err.println("undertow-server (Undertow " + io.undertow.Version.getVersionString()
                + ") listening on 127.0.0.1:" + actual + (tls ? " (TLS, ALPN h2)" : " (h2c by prior knowledge)"));
        stopped.await();
        System.exit(0);
    }

    /** The graceful stop of /admin/shutdown: no new requests, the running ones finish (10 s at most), then stop. */
    private static void stop(Undertow server, GracefulShutdownHandler graceful, CountDownLatch stopped) {
        try {
            Thread.sleep(50); // let the answer go out first
            long start = System.nanoTime();
            graceful.shutdown();
            boolean drained = graceful.awaitShutdown(STOP_TIMEOUT_MS);
            server.stop();
            System.err.println("admin: server stopped after "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms (requests drained: " + drained
                    + ")");
        } catch (Exception e) {
            System.err.println("admin: stop failed: " + e);
        } finally {
            stopped.countDown();
        }
    }

    static void handle(HttpServerExchange exchange) throws Exception {
        String path = exchange.getRequestPath();
        System.err.println("request " + exchange.getRequestMethod() + " " + path);
        if ("/h2patch.Test/RejectUpload".equals(path)) {
            // Answered before any of the request is read: the handler returns, the exchange ends.
            grpcError(exchange, "7", "upload rejected");
            return;
        }
        // Read the whole request first, as a gRPC server does: the response then never races the request body.
        byte[] body = readAll(exchange.getInputStream());
        long ms = parseMs(exchange);
        switch (path) {
            case "/h2patch.Test/Fail":
                grpcError(exchange, "5", "no such thing");
                exchange.getOutputStream().flush(); // the headers leave now, without END_STREAM
                return;
            case "/h2patch.Test/FailThenWrite": {
                grpcError(exchange, "5", "no such thing");
                OutputStream out = exchange.getOutputStream();
                out.flush();
                byte[] message = "late message".getBytes(StandardCharsets.UTF_8);
                try {
                    out.write(grpcFrame(message));
                    out.flush();
                    System.err.println("late-write: succeeded");
                } catch (IOException e) {
                    System.err.println("late-write: failed: " + e);
                    throw e;
                }
                return;
            }
            case "/h2patch.Test/Echo": {
                exchange.setStatusCode(200);
                exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/grpc");
                HeaderMap trailers = new HeaderMap();
                trailers.put(new HttpString("grpc-status"), "0");
                exchange.putAttachment(HttpAttachments.RESPONSE_TRAILERS, trailers);
                exchange.getOutputStream().write(body);
                return;
            }
            case "/hello":
                text(exchange, 200, "hello\n");
                return;
            case "/flush-spin":
                flushSpin(exchange);
                return;
            case "/empty-later":
                exchange.setStatusCode(200);
                exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
                exchange.getOutputStream().flush();
                return;
            case "/slow":
                Thread.sleep(ms);
                text(exchange, 200, "slow\n");
                return;
            case "/quiet-stream": {
                exchange.setStatusCode(200);
                exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
                OutputStream out = exchange.getOutputStream();
                out.flush();
                Thread.sleep(ms);
                out.write("tick\n".getBytes(StandardCharsets.UTF_8));
                return;
            }
            default:
                text(exchange, 404, "not found\n");
        }
    }

    /**
     * 200 {@code spin\n} written to the response channel, ended ({@code shutdownWrites()}), then {@code flush()} called
     * until it returns true, without waiting between calls as {@code Channels.flushBlocking} does. Each call first
     * checks whether the final frame has gone out (and if so marks the response complete), then flushes; a call that
     * finds the frame not yet out and, a moment later, the channel closed returns true without marking it. Undertow's
     * end of the exchange then finds the response channel closed but the response not complete and closes the
     * "connection": RST_STREAM(CANCEL) after the complete response. The same window is open on every response; this
     * route only makes the handler's thread look at it often (docs/fixes/proxy-safe-reset.md, "Undertow").
     */
    static void flushSpin(HttpServerExchange exchange) throws IOException {
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
        exchange.getResponseHeaders().put(Headers.CONTENT_LENGTH, "5");
        StreamSinkChannel channel = exchange.getResponseChannel();
        ByteBuffer body = ByteBuffer.wrap("spin\n".getBytes(StandardCharsets.UTF_8));
        while (body.hasRemaining()) {
            if (channel.write(body) == 0) {
                channel.awaitWritable();
            }
        }
        channel.shutdownWrites();
        while (!channel.flush()) {
            // no awaitWritable(): the next flush() follows at once
        }
    }

    /** A gRPC Trailers-Only error in the response headers, not yet written. */
    static void grpcError(HttpServerExchange exchange, String status, String message) {
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/grpc");
        exchange.getResponseHeaders().put(new HttpString("grpc-status"), status);
        exchange.getResponseHeaders().put(new HttpString("grpc-message"), message);
    }

    static void text(HttpServerExchange exchange, int status, String text) throws IOException {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain");
        exchange.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] grpcFrame(byte[] message) {
        byte[] framed = new byte[5 + message.length];
        framed[1] = (byte) (message.length >>> 24);
        framed[2] = (byte) (message.length >>> 16);
        framed[3] = (byte) (message.length >>> 8);
        framed[4] = (byte) message.length;
        System.arraycopy(message, 0, framed, 5, message.length);
        return framed;
    }

    static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        for (int n; (n = in.read(chunk)) != -1; ) {
            out.write(chunk, 0, n);
        }
        return out.toByteArray();
    }

    /** {@code --tls}: the key from the PKCS12 store {@code --keystore PATH} ({@code --keystore-password}, changeit). */
    static SSLContext sslContext(String[] args) throws Exception {
        String keystore = option(args, "--keystore", null);
        if (keystore == null) {
            throw new IllegalArgumentException("--tls needs --keystore PATH (a PKCS12 key store)");
        }
        char[] password = option(args, "--keystore-password", "changeit").toCharArray();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(keystore)) {
            store.load(in, password);
        }
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, password);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(keys.getKeyManagers(), null, null);
        return context;
    }

    static long parseMs(HttpServerExchange exchange) {
        Deque<String> ms = exchange.getQueryParameters().get("ms");
        try {
            return ms == null || ms.isEmpty() ? 0 : Long.parseLong(ms.getFirst());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static String option(String[] args, String name, String absent) {
        for (int i = 0; i < args.length - 1; i++) {
            if (name.equals(args[i])) {
                return args[i + 1];
            }
        }
        return absent;
    }

    static int parsePort(String[] args) {
        String port = option(args, "--port", null);
        if (port != null) {
            return Integer.parseInt(port);
        }
        if (args.length == 1 && args[0].startsWith("--port=")) {
            return Integer.parseInt(args[0].substring("--port=".length()));
        }
        throw new IllegalArgumentException("usage: --port P (0 = ephemeral)");
    }
}
