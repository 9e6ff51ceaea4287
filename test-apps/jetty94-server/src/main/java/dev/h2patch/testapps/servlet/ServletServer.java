package dev.h2patch.testapps.servlet;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.function.Supplier;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * h2c (prior knowledge) test server on a Jetty servlet container, the same source for Jetty 9.4 (jetty94-server,
 * Servlet 3.1), Jetty 10 (jetty10-server, Servlet 4) and Jetty 11 (jetty11-server, Servlet 5: these sources with
 * the servlet package renamed, see its pom): {@code Server} + {@code ServerConnector(HTTP/1.1, h2c)} and one servlet.
 *
 * <p>Routes: {@code /h2patch.Test/Fail} (the bug: a gRPC Trailers-Only error committed with {@code flushBuffer()},
 * then the servlet returns), {@code /h2patch.Test/Echo} (a correct gRPC answer: headers, the request's bytes,
 * trailers {@code grpc-status: 0}), {@code /hello} (200 {@code hello\n}), {@code /empty-later} (a text/plain response
 * committed empty with {@code flushBuffer()}, then completed: the non-gRPC shape of the same frames).
 *
 * <p>Usage: {@code java -jar jetty94-server.jar --port P [--idle-timeout-ms N] [--h2c-only | --tls --keystore PATH
 * [--keystore-password P]]} (or jetty10-server.jar,
 * jetty11-server.jar; port 0 = ephemeral; N = the
 * connector's idle timeout, Jetty's 30 s when absent). Prints {@code READY <port>} on stdout once it listens
 * on 127.0.0.1; logs go to stderr; runs until killed. {@code --tls}: TLS with ALPN (h2, http/1.1) on the main port
 * instead of h2c.
 */
public final class ServletServer {

    private ServletServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = parsePort(args);
        Server server = new Server();
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        config.setSendDateHeader(false); // byte-identical responses from run to run
        // --h2c-only: h2c is the connector's only (so default) protocol, the set-up in which Jetty waits for the
        // client's preface before its SETTINGS (docs/fixes/early-settings.md).
        ServerConnector connector = Arrays.asList(args).contains("--tls")
                ? tlsConnector(server, config, args)
                : Arrays.asList(args).contains("--h2c-only")
                ? new ServerConnector(server, new HTTP2CServerConnectionFactory(config))
                : new ServerConnector(server, new HttpConnectionFactory(config), new HTTP2CServerConnectionFactory(config));
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        long idleTimeoutMillis = idleTimeoutMillis(args);
        if (idleTimeoutMillis > 0) {
            connector.setIdleTimeout(idleTimeoutMillis);
        }
        server.addConnector(connector);

        ServletContextHandler context = new ServletContextHandler();
        context.setContextPath("/");
        context.addServlet(new ServletHolder(new AppServlet()), "/*");
        ConnectionStateServlet.install(context, server);
        context.addServlet(new ServletHolder(new RejectUploadServlet()), RejectUploadServlet.PATH);
        server.setHandler(context);
        server.setStopAtShutdown(true);
        server.start();

        System.out.println("READY " + connector.getLocalPort());
        System.out.flush();
        System.err.println("servlet-server (Jetty " + Server.getVersion() + ") listening on 127.0.0.1:"
                + connector.getLocalPort() + (Arrays.asList(args).contains("--tls") ? " (TLS, ALPN h2)" : ""));
        server.join();
    }

    /**
     * {@code --tls}: the documented Jetty TLS set-up, SslConnectionFactory then ALPNServerConnectionFactory (h2, then
     * http/1.1 as the default), with the key from the PKCS12 key store {@code --keystore PATH} (password
     * {@code --keystore-password}, default {@code changeit}).
     */
    static ServerConnector tlsConnector(Server server, HttpConfiguration config, String[] args) {
        String keystore = option(args, "--keystore", null);
        if (keystore == null) {
            throw new IllegalArgumentException("--tls needs --keystore PATH (a PKCS12 key store)");
        }
        String password = option(args, "--keystore-password", "changeit");
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStorePath(keystore);
        ssl.setKeyStoreType("PKCS12");
        ssl.setKeyStorePassword(password);
        HttpConfiguration https = new HttpConfiguration(config);
        // Without SNI checks: the tests connect to 127.0.0.1 with a self-signed "localhost" certificate.
        https.addCustomizer(new SecureRequestCustomizer(false));
        HttpConnectionFactory http11 = new HttpConnectionFactory(https);
        HTTP2ServerConnectionFactory h2 = new HTTP2ServerConnectionFactory(https);
        ALPNServerConnectionFactory alpn = new ALPNServerConnectionFactory();
        alpn.setDefaultProtocol(http11.getProtocol());
        SslConnectionFactory tls = new SslConnectionFactory(ssl, alpn.getProtocol());
        return new ServerConnector(server, tls, alpn, h2, http11);
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

    /** {@code --idle-timeout-ms N}: the connector's idle timeout (Jetty's default, 30 s, when absent). */
    static long idleTimeoutMillis(String[] args) {
        for (int i = 0; i < args.length - 1; i++) {
            if ("--idle-timeout-ms".equals(args[i])) {
                return Long.parseLong(args[i + 1]);
            }
        }
        return 0;
    }

    static int parsePort(String[] args) {
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

    static final class AppServlet extends HttpServlet {
        @Override
        protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
            // Read the whole request first, as a gRPC server does: the response then never races the request body.
            byte[] body = readAll(request.getInputStream());
            String path = request.getRequestURI();
            System.err.println("request " + request.getMethod() + " " + path);
            switch (path) {
                case "/h2patch.Test/Fail":
                    // Seed 002 on Jetty: HEADERS without END_STREAM now, DATA(0, END_STREAM) when service() returns.
                    commitTrailersOnlyError(response);
                    return;
                case "/grpc-lookalike":
                    // Issue 14: /h2patch.Test/Fail's frames with a content type that only starts like gRPC's
                    // ("application/grpcx" is not "application/grpc" nor "application/grpc+..."): not a gRPC response.
                    response.setStatus(200);
                    response.setContentType("application/grpcx");
                    response.setHeader("grpc-status", "5");
                    response.flushBuffer();
                    return;
                case "/h2patch.Test/FailThenWrite":
                    // Issue 14: the Trailers-Only error above, then one more message written after the flush. With the
                    // end-stream fix the stream ended at the flush, so the write must fail, not vanish.
                    commitTrailersOnlyError(response);
                    try {
                        byte[] message = "late message".getBytes(StandardCharsets.UTF_8);
                        byte[] framed = new byte[5 + message.length];
                        framed[4] = (byte) message.length;
                        System.arraycopy(message, 0, framed, 5, message.length);
                        response.getOutputStream().write(framed);
                        response.getOutputStream().flush();
                        System.err.println("late-write: succeeded");
                    } catch (IOException e) {
                        System.err.println("late-write: failed: " + e
                                + (e.getCause() == null ? "" : " / cause: " + e.getCause()));
                    }
                    return;
                case "/h2patch.Test/Echo":
                    response.setStatus(200);
                    response.setContentType("application/grpc");
                    grpcOkTrailers(request, response);
                    response.getOutputStream().write(body);
                    return;
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

    /** A gRPC Trailers-Only error (grpc-status 5) in the headers, committed with {@code flushBuffer()}. */
    static void commitTrailersOnlyError(HttpServletResponse response) throws IOException {
        response.setStatus(200);
        response.setContentType("application/grpc");
        response.setHeader("grpc-status", "5");
        response.setHeader("grpc-message", "no such thing");
        response.flushBuffer();
    }

    /**
     * Trailers {@code grpc-status: 0}, which Jetty sends as a trailers HEADERS with END_STREAM. Servlet 4 and 5 (Jetty 10,
     * 11) have {@code setTrailerFields}; Servlet 3.1 (Jetty 9.4) has no trailer API, so there it is Jetty's own
     * {@code Response.setTrailers(Supplier<HttpFields>)}. Looked up reflectively so that this one source compiles
     * against every line.
     */
    static void grpcOkTrailers(HttpServletRequest request, HttpServletResponse response) throws IOException {
        try {
            Method servlet4;
            try {
                servlet4 = HttpServletResponse.class.getMethod("setTrailerFields", Supplier.class);
            } catch (NoSuchMethodException servlet31) {
                servlet4 = null;
            }
            if (servlet4 != null) {
                Supplier<Map<String, String>> trailers = () -> Collections.singletonMap("grpc-status", "0");
                servlet4.invoke(response, trailers);
                return;
            }
            Object jettyResponse = Request.getBaseRequest(request).getResponse();
            Class<?> fields = Class.forName("org.eclipse.jetty.http.HttpFields");
            Method put = fields.getMethod("put", String.class, String.class);
            Supplier<Object> trailers = () -> {
                try {
                    Object f = fields.getConstructor().newInstance();
                    put.invoke(f, "grpc-status", "0");
                    return f;
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            };
            jettyResponse.getClass().getMethod("setTrailers", Supplier.class).invoke(jettyResponse, trailers);
        } catch (InvocationTargetException e) {
            throw new IOException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("no trailer API on this Jetty", e);
        }
    }

    static void text(HttpServletResponse response, int status, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        response.setStatus(status);
        response.setContentType("text/plain");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
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
