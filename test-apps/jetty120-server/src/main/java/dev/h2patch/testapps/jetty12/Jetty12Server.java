package dev.h2patch.testapps.jetty12;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.alpn.server.ALPNServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.http2.server.HTTP2ServerConnectionFactory;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;

/**
 * h2c (prior knowledge) test server on Jetty 12 (compiled against 12.0 by jetty120-server and against 12.1 by
 * jetty121-server): {@code Server} + {@code ServerConnector(HTTP/1.1, h2c)} and one core {@link Handler}.
 *
 * <p>Routes: {@code /h2patch.Test/Fail} (the bug: a gRPC Trailers-Only error committed with
 * {@code Response.write(false, null, ...)}, then the handler's callback succeeds — the core-API equivalent of a
 * servlet's {@code flushBuffer()} then return), {@code /h2patch.Test/Echo} (a correct gRPC answer: headers, the
 * request's bytes, trailers {@code grpc-status: 0}), {@code /hello} (200 {@code hello\n}), {@code /empty-later} (a
 * text/plain response committed empty, then completed: the non-gRPC shape of the same frames).
 *
 * <p>Usage: {@code java -jar jetty120-server.jar --port P [--idle-timeout-ms N] [--h2c-only | --tls --keystore PATH
 * [--keystore-password P]]} (port 0 = ephemeral; N = the
 * connector's idle timeout, Jetty's 30 s when absent). Prints {@code READY <port>} on stdout once it listens
 * on 127.0.0.1; logs go to stderr; runs until killed. {@code --tls}: TLS with ALPN (h2, http/1.1) on the main port
 * instead of h2c.
 */
public final class Jetty12Server {

    private Jetty12Server() {
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
        server.setHandler(new AppHandler());
        ConnectionStateHandler.install(server);
        server.setHandler(new RejectUploadHandler(server.getHandler()));
        server.setStopAtShutdown(true);
        server.start();

        System.out.println("READY " + connector.getLocalPort());
        System.out.flush();
        System.err.println("jetty12-server (Jetty " + Server.getVersion() + ") listening on 127.0.0.1:"
                + connector.getLocalPort() + (Arrays.asList(args).contains("--tls") ? " (TLS, ALPN h2)" : ""));
        server.join();
    }

    /**
     * {@code --tls}: the documented Jetty 12 TLS set-up, SslConnectionFactory then ALPNServerConnectionFactory (h2,
     * then http/1.1 as the default), with the key from the PKCS12 key store {@code --keystore PATH} (password
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

    /** Blocking handler (the default invocation type): it may read the request body in place. */
    static final class AppHandler extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            // Read the whole request first, as a gRPC server does: the response then never races the request body.
            ByteBuffer body = Content.Source.asByteBuffer(request);
            String path = request.getHttpURI().getPath();
            System.err.println("request " + request.getMethod() + " " + path);
            switch (path) {
                case "/h2patch.Test/Fail":
                    // Seed 002 on Jetty: HEADERS without END_STREAM now, DATA(0, END_STREAM) on completion.
                    trailersOnlyError(response);
                    response.write(false, null, Callback.from(callback::succeeded, callback::failed));
                    return true;
                case "/grpc-lookalike":
                    // Issue 14: /h2patch.Test/Fail's frames with a content type that only starts like gRPC's
                    // ("application/grpcx" is not "application/grpc" nor "application/grpc+..."): not a gRPC response.
                    response.setStatus(200);
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/grpcx");
                    response.getHeaders().put("grpc-status", "5");
                    response.write(false, null, Callback.from(callback::succeeded, callback::failed));
                    return true;
                case "/h2patch.Test/FailThenWrite":
                    // Issue 14: the Trailers-Only error above, then one more message written once the HEADERS are
                    // out. With the end-stream fix the stream ended with them, so the write must fail, not vanish.
                    trailersOnlyError(response);
                    byte[] message = "late message".getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    ByteBuffer framed = ByteBuffer.allocate(5 + message.length);
                    framed.put((byte) 0).putInt(message.length).put(message).flip();
                    response.write(false, null, Callback.from(() -> response.write(false, framed, Callback.from(
                            () -> {
                                System.err.println("late-write: succeeded");
                                callback.succeeded();
                            },
                            x -> {
                                System.err.println("late-write: failed: " + x);
                                callback.failed(x);
                            })), callback::failed));
                    return true;
                case "/h2patch.Test/Echo":
                    response.setStatus(200);
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/grpc");
                    response.setTrailersSupplier(() -> HttpFields.build().put("grpc-status", "0"));
                    response.write(true, body, callback);
                    return true;
                case "/hello":
                    text(response, 200, "hello\n", callback);
                    return true;
                case "/empty-later":
                    response.setStatus(200);
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                    response.write(false, null, Callback.from(callback::succeeded, callback::failed));
                    return true;
                default:
                    text(response, 404, "not found\n", callback);
                    return true;
            }
        }
    }

    /**
     * A gRPC Trailers-Only error (grpc-status 5, NOT_FOUND "no such thing") in the response headers, not yet written
     * (also the Fail route of jetty12-sniffer-server).
     */
    public static void trailersOnlyError(Response response) {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/grpc");
        response.getHeaders().put("grpc-status", "5");
        response.getHeaders().put("grpc-message", "no such thing");
    }

    /** A complete text/plain response. */
    public static void text(Response response, int status, String text, Callback callback) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
        Content.Sink.write(response, true, text, callback);
    }
}
