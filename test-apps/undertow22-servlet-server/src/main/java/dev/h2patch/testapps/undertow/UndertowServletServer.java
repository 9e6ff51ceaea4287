package dev.h2patch.testapps.undertow;

import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.handlers.GracefulShutdownHandler;
import io.undertow.servlet.Servlets;
import io.undertow.servlet.api.DeploymentInfo;
import io.undertow.servlet.api.DeploymentManager;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/**
 * The servlet deployment of Undertow, as WildFly and Spring Boot's Undertow starter run it: undertow-servlet's
 * {@code Servlets.deployment()} with one servlet on {@code /*}, its handler behind a {@link GracefulShutdownHandler},
 * on {@code Undertow.builder()} with {@code ENABLE_HTTP2}. The same source for Undertow 2.2 (undertow22-servlet-server,
 * javax.servlet 4) and 2.3 (undertow23-servlet-server: this source with the servlet package renamed, see its pom).
 * No undertow-servlet 2.4 is served by the registry this project builds from, so there is no 2.4 servlet app.
 *
 * <p>Routes, as on the other apps (the servlet's code differs from undertow-server's handlers only where the servlet
 * API does): {@code /h2patch.Test/Fail} (a gRPC Trailers-Only error committed with {@code flushBuffer()}, then the
 * servlet returns: Undertow sends HEADERS, then DATA(0, END_STREAM)), {@code /h2patch.Test/FailThenWrite} (the same,
 * then one more message), {@code /h2patch.Test/Echo} (headers, the request's bytes, trailers {@code grpc-status: 0}
 * through {@code setTrailerFields}), {@code /h2patch.Test/RejectUpload} (a complete gRPC error before any of the
 * request body is read), {@code /hello}, {@code /empty-later}, {@code /slow?ms=N}, {@code /quiet-stream?ms=N},
 * {@code /admin/shutdown} (answers, then {@code GracefulShutdownHandler.shutdown()}, {@code awaitShutdown(10 s)}, the
 * deployment stopped, {@code Undertow.stop()}; the process then exits).
 *
 * <p>Usage: {@code java -jar undertow22-servlet-server.jar --port P [--tls --keystore PATH [--keystore-password P]]}
 * (port 0 = ephemeral). Prints {@code READY <port>} on stdout once it listens on 127.0.0.1; logs go to stderr.
 */
public final class UndertowServletServer {

    private static final CountDownLatch STOPPED = new CountDownLatch(1);
    private static volatile Undertow server;
    private static volatile GracefulShutdownHandler graceful;
    private static volatile DeploymentManager deployment;

    private UndertowServletServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = UndertowServer.parsePort(args);
        boolean tls = Arrays.asList(args).contains("--tls");
        DeploymentInfo info = Servlets.deployment()
                .setClassLoader(UndertowServletServer.class.getClassLoader())
                .setContextPath("/")
                .setDeploymentName("h2patch-test.war")
                .addServlet(Servlets.servlet("app", AppServlet.class).addMapping("/*"));
        deployment = Servlets.defaultContainer().addDeployment(info);
        deployment.deploy();
        HttpHandler servlets = deployment.start();
        graceful = new GracefulShutdownHandler(servlets);
        Undertow.Builder builder = Undertow.builder()
                .setServerOption(UndertowOptions.ENABLE_HTTP2, true)
                .setServerOption(UndertowOptions.ALWAYS_SET_DATE, false) // byte-identical responses from run to run
                .setHandler(graceful);
        if (tls) {
            builder.addHttpsListener(port, "127.0.0.1", UndertowServer.sslContext(args));
        } else {
            builder.addHttpListener(port, "127.0.0.1");
        }
        server = builder.build();
        server.start();
        int actual = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
        System.out.println("READY " + actual);
        System.out.flush();
        System.err.println("undertow-servlet-server (Undertow " + io.undertow.Version.getVersionString()
                + ", servlet deployment) listening on 127.0.0.1:" + actual
                + (tls ? " (TLS, ALPN h2)" : " (h2c by prior knowledge)"));
        STOPPED.await();
        System.exit(0);
    }

    /** The graceful stop of /admin/shutdown: no new requests, the running ones finish (10 s at most), then stop. */
    private static void stop() {
        try {
            Thread.sleep(50); // let the answer go out first
            long start = System.nanoTime();
            graceful.shutdown();
            boolean drained = graceful.awaitShutdown(UndertowServer.STOP_TIMEOUT_MS);
            deployment.stop();
            deployment.undeploy();
            server.stop();
            System.err.println("admin: server stopped after "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms (requests drained: " + drained
                    + ")");
        } catch (Exception e) {
            System.err.println("admin: stop failed: " + e);
        } finally {
            STOPPED.countDown();
        }
    }

    /** Every route, one servlet on {@code /*}. */
    public static final class AppServlet extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
            String path = request.getRequestURI();
            System.err.println("request " + request.getMethod() + " " + path);
            if ("/admin/shutdown".equals(path)) {
                text(response, 200, "stopping\n");
                new Thread(UndertowServletServer::stop, "app-stopper").start();
                return;
            }
            if ("/h2patch.Test/RejectUpload".equals(path)) {
                // Answered before any of the request is read: the servlet returns, the exchange ends.
                grpcError(response, "7", "upload rejected");
                return;
            }
            // Read the whole request first, as a gRPC server does: the response then never races the request body.
            byte[] body = UndertowServer.readAll(request.getInputStream());
            long ms = parseMs(request);
            switch (path) {
                case "/h2patch.Test/Fail":
                    grpcError(response, "5", "no such thing");
                    response.flushBuffer(); // the headers leave now, without END_STREAM
                    return;
                case "/h2patch.Test/FailThenWrite": {
                    grpcError(response, "5", "no such thing");
                    response.flushBuffer();
                    OutputStream out = response.getOutputStream();
                    try {
                        out.write(UndertowServer.grpcFrame("late message".getBytes(StandardCharsets.UTF_8)));
                        out.flush();
                        System.err.println("late-write: succeeded");
                    } catch (IOException e) {
                        System.err.println("late-write: failed: " + e);
                        throw e;
                    }
                    return;
                }
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
                case "/slow":
                    sleep(ms);
                    text(response, 200, "slow\n");
                    return;
                case "/quiet-stream":
                    response.setStatus(200);
                    response.setContentType("text/plain");
                    response.flushBuffer();
                    sleep(ms);
                    response.getOutputStream().write("tick\n".getBytes(StandardCharsets.UTF_8));
                    return;
                default:
                    text(response, 404, "not found\n");
            }
        }
    }

    static void grpcError(HttpServletResponse response, String status, String message) {
        response.setStatus(200);
        response.setContentType("application/grpc");
        response.setHeader("grpc-status", status);
        response.setHeader("grpc-message", message);
    }

    static void text(HttpServletResponse response, int status, String text) throws IOException {
        response.setStatus(status);
        response.setContentType("text/plain");
        response.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
    }

    static void sleep(long ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    static long parseMs(HttpServletRequest request) {
        try {
            String ms = request.getParameter("ms");
            return ms == null ? 0 : Long.parseLong(ms);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
