package dev.h2patch.testapps.tomcat;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;
import javax.servlet.AsyncContext;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.apache.catalina.Context;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.catalina.util.ServerInfo;
import org.apache.coyote.http2.Http2Protocol;
import org.apache.tomcat.util.net.SSLHostConfig;
import org.apache.tomcat.util.net.SSLHostConfigCertificate;

/**
 * An embedded Tomcat as a new user writes it, the same source for Tomcat 9.0 (tomcat9-server, javax.servlet 4),
 * 10.1 (tomcat101-server) and 11.0 (tomcat11-server; both these sources with the servlet package renamed, see their
 * poms): {@code new Tomcat()}, an NIO {@code Connector} with {@code addUpgradeProtocol(new Http2Protocol())} (HTTP/1.1
 * on the port; h2c by prior knowledge, the client preface, or by {@code Upgrade: h2c}) and servlets.
 *
 * <p>Routes, as on the other apps: {@code /h2patch.Test/Fail} (a gRPC Trailers-Only error committed with
 * {@code flushBuffer()}, then the servlet returns: Tomcat sends HEADERS, then DATA(0, END_STREAM)),
 * {@code /h2patch.Test/FailNoFlush} (the same error, not flushed: the same two frames),
 * {@code /h2patch.Test/FailThenWrite} (the flushed error, then one more message), {@code /h2patch.Test/Echo} (a
 * correct gRPC answer: headers, the request's bytes, trailers {@code grpc-status: 0} through
 * {@code setTrailerFields}), {@code /h2patch.Test/RejectUpload} (a complete gRPC error before any of the request
 * body is read), {@code /hello} (200 {@code hello\n}), {@code /empty-later} (text/plain committed empty with
 * {@code flushBuffer()}, then completed), {@code /slow?ms=N} (an async servlet answers after N ms),
 * {@code /quiet-stream?ms=N} (headers at once, {@code tick\n} after N ms), {@code /admin/shutdown} (answers, then
 * {@code tomcat.stop()} on its own thread: Tomcat's graceful stop; SIGTERM does the same).
 *
 * <p>Usage: {@code java -jar tomcat9-server.jar --port P [--tls --keystore PATH [--keystore-password P]]} (port 0 =
 * ephemeral). Prints {@code READY <port>} on stdout once it listens on 127.0.0.1; logs go to stderr. {@code --tls}:
 * TLS on the main port (JSSE, ALPN h2 and http/1.1, the key from a PKCS12 key store) instead of cleartext.
 */
public final class TomcatServer {

    private static volatile Path baseDir;

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "app-timer");
        thread.setDaemon(true);
        return thread;
    });

    private static final CountDownLatch STOPPED = new CountDownLatch(1);

    private TomcatServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = parsePort(args);
        boolean tls = Arrays.asList(args).contains("--tls");
        File base = Files.createTempDirectory("tomcat-app").toFile();
        baseDir = base.toPath();
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(base.getAbsolutePath());

        Connector connector = new Connector("org.apache.coyote.http11.Http11NioProtocol");
        connector.setPort(port);
        connector.setProperty("address", "127.0.0.1");
        connector.addUpgradeProtocol(new Http2Protocol());
        if (tls) {
            configureTls(connector, args);
        }
        tomcat.setConnector(connector);

        Context context = tomcat.addContext("", base.getAbsolutePath());
        add(context, "app", new AppServlet(), "/");
        add(context, "connection-state", new ConnectionStateServlet(tomcat), "/slow", "/quiet-stream",
                "/admin/shutdown");
        add(context, "reject-upload", new RejectUploadServlet(), RejectUploadServlet.PATH);

        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop(tomcat, "SIGTERM"), "app-shutdown"));
        tomcat.start();

        System.out.println("READY " + connector.getLocalPort());
        System.out.flush();
        System.err.println("tomcat-server (" + ServerInfo.getServerInfo() + ") listening on 127.0.0.1:"
                + connector.getLocalPort() + (tls ? " (TLS, ALPN h2)" : ""));
        STOPPED.await();
        System.exit(0);
    }

    private static void add(Context context, String name, HttpServlet servlet, String... patterns) {
        Wrapper wrapper = Tomcat.addServlet(context, name, servlet);
        wrapper.setAsyncSupported(true);
        for (String pattern : patterns) {
            context.addServletMappingDecoded(pattern, name);
        }
    }

    /** Tomcat's graceful stop, as a user calls it; once, from /admin/shutdown or SIGTERM. */
    static synchronized void stop(Tomcat tomcat, String why) {
        if (STOPPED.getCount() == 0) {
            return;
        }
        long start = System.nanoTime();
        try {
            tomcat.stop();
            System.err.println("admin: server stopped (" + why + ") after "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms");
            tomcat.destroy();
        } catch (Exception e) {
            System.err.println("admin: stop failed: " + e);
        } finally {
            deleteTree(baseDir);
            STOPPED.countDown();
        }
    }

    /**
     * {@code --tls}: TLS on the main port the documented way, an {@code SSLHostConfig} with the key from the PKCS12 key
     * store {@code --keystore PATH} (password {@code --keystore-password}, default {@code changeit}), on JSSE (the
     * JDK's TLS, ALPN included), and ALPN h2 offered by the Http2Protocol upgrade protocol.
     */
    static void configureTls(Connector connector, String[] args) {
        String keystore = option(args, "--keystore", null);
        if (keystore == null) {
            throw new IllegalArgumentException("--tls needs --keystore PATH (a PKCS12 key store)");
        }
        connector.setScheme("https");
        connector.setSecure(true);
        connector.setProperty("SSLEnabled", "true");
        connector.setProperty("sslImplementationName", "org.apache.tomcat.util.net.jsse.JSSEImplementation");
        SSLHostConfig ssl = new SSLHostConfig();
        SSLHostConfigCertificate certificate = new SSLHostConfigCertificate(ssl, SSLHostConfigCertificate.Type.UNDEFINED);
        certificate.setCertificateKeystoreFile(new File(keystore).getAbsolutePath());
        certificate.setCertificateKeystoreType("PKCS12");
        certificate.setCertificateKeystorePassword(option(args, "--keystore-password", "changeit"));
        ssl.addCertificate(certificate);
        connector.addSslHostConfig(ssl);
    }

    /** The value of {@code name V}, or {@code absent}. */
    static String option(String[] args, String name, String absent) {
        for (int i = 0; i < args.length - 1; i++) {
            if (name.equals(args[i])) {
                return args[i + 1];
            }
        }
        return absent;
    }

    /**
     * Tomcat fills its base directory (work/, webapps/), which {@code File.deleteOnExit} cannot remove; the tree goes
     * once Tomcat has stopped, so that the many runs of the tests leave no directory behind.
     */
    private static void deleteTree(Path root) {
        if (root == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException | RuntimeException e) {
            System.err.println("could not delete " + root + ": " + e);
        }
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

    static final class AppServlet extends HttpServlet {
        @Override
        protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
            // Read the whole request first, as a gRPC server does: the response then never races the request body.
            byte[] body = readAll(request.getInputStream());
            String path = request.getRequestURI();
            System.err.println("request " + request.getMethod() + " " + path);
            switch (path) {
                case "/h2patch.Test/Fail":
                    // HEADERS without END_STREAM now, DATA(0, END_STREAM) when service() returns.
                    trailersOnlyError(response);
                    response.flushBuffer();
                    return;
                case "/h2patch.Test/FailNoFlush":
                    // Not flushed: Tomcat commits it when the response closes, still as HEADERS + DATA(0, END_STREAM).
                    trailersOnlyError(response);
                    return;
                case "/h2patch.Test/FailThenWrite":
                    trailersOnlyError(response);
                    response.flushBuffer();
                    try {
                        byte[] message = "late message".getBytes(StandardCharsets.UTF_8);
                        byte[] framed = new byte[5 + message.length];
                        framed[4] = (byte) message.length;
                        System.arraycopy(message, 0, framed, 5, message.length);
                        response.getOutputStream().write(framed);
                        response.getOutputStream().flush();
                        System.err.println("late-write: succeeded");
                    } catch (IOException e) {
                        System.err.println("late-write: failed: " + e);
                    }
                    return;
                case "/h2patch.Test/Echo": {
                    response.setStatus(200);
                    response.setContentType("application/grpc");
                    Supplier<Map<String, String>> trailers = () -> Collections.singletonMap("grpc-status", "0");
                    response.setTrailerFields(trailers);
                    response.getOutputStream().write(body);
                    return;
                }
                case "/hello":
                    text(response, 200, "hello\n");
                    return;
                case "/empty-later":
                    response.setStatus(200);
                    response.setContentType("text/plain");
                    response.flushBuffer();
                    return;
                default:
                    text(response, 404, "not found\n");
            }
        }
    }

    /** A gRPC Trailers-Only error (grpc-status 5) in the response headers, not yet committed. */
    static void trailersOnlyError(HttpServletResponse response) {
        response.setStatus(200);
        response.setContentType("application/grpc");
        response.setHeader("grpc-status", "5");
        response.setHeader("grpc-message", "no such thing");
    }

    /**
     * {@code /h2patch.Test/RejectUpload} (proxy-safe-reset): a client-streaming gRPC call answered at once with a
     * complete error ({@code grpc-status: 7}, no body) before any of the request is read. The servlet returns; Tomcat
     * completes the response while the client may still be sending, then resets the stream (CANCEL on 9.0.70 and
     * older, NO_ERROR later).
     */
    static final class RejectUploadServlet extends HttpServlet {
        static final String PATH = "/h2patch.Test/RejectUpload";

        @Override
        protected void service(HttpServletRequest request, HttpServletResponse response) {
            System.err.println("request " + request.getMethod() + " " + request.getRequestURI());
            response.setStatus(200);
            response.setContentType("application/grpc");
            response.setHeader("grpc-status", "7");
            response.setHeader("grpc-message", "upload rejected");
        }
    }

    /**
     * connection-state routes: {@code /slow?ms=N} (an async servlet answers 200 {@code slow\n} after N ms, no thread
     * blocked meanwhile), {@code /quiet-stream?ms=N} (headers at once, then nothing for N ms, then {@code tick\n}),
     * {@code /admin/shutdown} (answers, then {@code tomcat.stop()} on its own thread; the stop starts even if the
     * answer fails).
     */
    static final class ConnectionStateServlet extends HttpServlet {
        private final Tomcat tomcat;

        ConnectionStateServlet(Tomcat tomcat) {
            this.tomcat = tomcat;
        }

        @Override
        protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
            String path = request.getRequestURI();
            long ms = parseMs(request.getParameter("ms"));
            System.err.println("request " + request.getMethod() + " " + path);
            switch (path) {
                case "/slow": {
                    AsyncContext async = request.startAsync();
                    async.setTimeout(0);
                    TIMER.schedule(() -> {
                        try {
                            text((HttpServletResponse) async.getResponse(), 200, "slow\n");
                        } catch (IOException | RuntimeException e) {
                            System.err.println("slow: " + e);
                        } finally {
                            async.complete();
                        }
                    }, ms, TimeUnit.MILLISECONDS);
                    return;
                }
                case "/quiet-stream": {
                    response.setStatus(200);
                    response.setContentType("text/plain");
                    response.flushBuffer();
                    AsyncContext async = request.startAsync();
                    async.setTimeout(0);
                    TIMER.schedule(() -> {
                        try {
                            async.getResponse().getOutputStream().write("tick\n".getBytes(StandardCharsets.UTF_8));
                        } catch (IOException | RuntimeException e) {
                            System.err.println("quiet-stream: " + e);
                        } finally {
                            async.complete();
                        }
                    }, ms, TimeUnit.MILLISECONDS);
                    return;
                }
                case "/admin/shutdown": {
                    Thread stopper = new Thread(() -> {
                        try {
                            Thread.sleep(50); // let the answer go out first
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        stop(tomcat, "/admin/shutdown");
                    }, "app-stopper");
                    try {
                        text(response, 200, "stopping\n");
                        response.flushBuffer();
                    } catch (IOException | RuntimeException e) {
                        System.err.println("admin: answer failed (stopping anyway): " + e);
                    } finally {
                        stopper.start();
                    }
                    return;
                }
                default:
                    response.sendError(404);
            }
        }
    }

    static void text(HttpServletResponse response, int status, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType("text/plain");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    static long parseMs(String value) {
        try {
            return value == null ? 0 : Long.parseLong(value);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        for (int n; (n = in.read(buffer)) >= 0; ) {
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }
}
