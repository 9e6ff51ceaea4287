package dev.h2patch.testapps.jetty12sniffer;

import dev.h2patch.testapps.jetty12.Jetty12Server;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http2.server.HTTP2CServerConnectionFactory;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.AbstractConnectionFactory;
import org.eclipse.jetty.server.ConnectionFactory;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.DetectorConnectionFactory;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.FutureCallback;

/**
 * Jetty 12.0 test server for early-settings, with two connectors on 127.0.0.1:
 * <ul>
 *   <li>the <b>detecting</b> port ({@code --port P}): {@code DetectorConnectionFactory} with a custom
 *       {@link ConnectionFactory.Detecting}, {@link HeadersDetector}, that routes a connection by the client's first
 *       HEADERS frame — a port sniffer in the style of Go's cmux without {@code MatchWithWriters}: bytes that start
 *       with the HTTP/2 client preface are held until a whole HEADERS frame has arrived, then handed to the h2c
 *       connection factory; anything else goes to HTTP/1.1. Without early SETTINGS, grpc-go (which waits for the
 *       server's SETTINGS before it sends HEADERS) times out;</li>
 *   <li>the <b>h2c-only</b> port ({@code --h2c-port Q}, default ephemeral): a connector whose only (default) protocol
 *       is h2c, so the HTTP/2 connection exists from the moment the client connects;</li>
 *   <li>with {@code --relay-backend HOST:PORT}, a <b>relaying</b> port (ephemeral, {@code READY-RELAY <port>}): the
 *       same detector, but a recognized HTTP/2 connection is relayed byte for byte to that backend (Node's http2 in
 *       the tests) and the connector has no HTTP/2 factory: this process never serves HTTP/2 there, so the
 *       early-settings fix must not write into it (issue 13).</li>
 * </ul>
 * Routes on both: {@code /grpc.health.v1.Health/Check} (SERVING), {@code /h2patch.Test/Fail} (a gRPC Trailers-Only
 * error, NOT_FOUND "no such thing"), {@code /hello} (200 {@code hello\n}, also over HTTP/1.1).
 *
 * <p>Prints {@code READY-H2C <port>} (and {@code READY-RELAY <port>}) then {@code READY <port>} on stdout once both listen; logs go to stderr.
 */
public final class Jetty12SnifferServer {

    private Jetty12SnifferServer() {
    }

    public static void main(String[] args) throws Exception {
        int port = intOption(args, "--port", -1);
        if (port < 0) {
            throw new IllegalArgumentException("usage: --port P [--h2c-port Q] (0 = ephemeral)");
        }
        int h2cPort = intOption(args, "--h2c-port", 0);
        Server server = new Server();
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        config.setSendDateHeader(false);

        HTTP2CServerConnectionFactory h2c = new HTTP2CServerConnectionFactory(config);
        ServerConnector detecting = new ServerConnector(server,
                new DetectorConnectionFactory(new HeadersDetector(h2c)), new HttpConnectionFactory(config), h2c);
        detecting.setHost("127.0.0.1");
        detecting.setPort(port);
        server.addConnector(detecting);

        ServerConnector h2cOnly = new ServerConnector(server, new HTTP2CServerConnectionFactory(config));
        h2cOnly.setHost("127.0.0.1");
        h2cOnly.setPort(h2cPort);
        server.addConnector(h2cOnly);

        // --relay-backend HOST:PORT: a third port whose detector hands HTTP/2 connections to a TCP relay, not to an
        // HTTP/2 server of this process (the connector has no HTTP/2 factory at all).
        String relayBackend = stringOption(args, "--relay-backend");
        ServerConnector relaying = null;
        if (relayBackend != null) {
            int colon = relayBackend.lastIndexOf(':');
            RelayFactory relay = new RelayFactory(new InetSocketAddress(relayBackend.substring(0, colon),
                    Integer.parseInt(relayBackend.substring(colon + 1))));
            relaying = new ServerConnector(server, new DetectorConnectionFactory(new HeadersDetector(relay)),
                    new HttpConnectionFactory(config));
            relaying.setHost("127.0.0.1");
            relaying.setPort(0);
            server.addConnector(relaying);
        }

        server.setHandler(new AppHandler());
        server.setStopAtShutdown(true);
        server.start();

        System.out.println("READY-H2C " + h2cOnly.getLocalPort());
        if (relaying != null) {
            System.out.println("READY-RELAY " + relaying.getLocalPort());
        }
        System.out.println("READY " + detecting.getLocalPort());
        System.out.flush();
        System.err.println("jetty12-sniffer-server (Jetty " + Server.getVersion() + ") detecting on 127.0.0.1:"
                + detecting.getLocalPort() + ", h2c-only on 127.0.0.1:" + h2cOnly.getLocalPort());
        server.join();
    }

    static String stringOption(String[] args, String name) {
        for (int i = 0; i < args.length; i++) {
            if (name.equals(args[i]) && i + 1 < args.length) {
                return args[i + 1];
            }
            if (args[i].startsWith(name + "=")) {
                return args[i].substring(name.length() + 1);
            }
        }
        return null;
    }

    static int intOption(String[] args, String name, int otherwise) {
        for (int i = 0; i < args.length; i++) {
            if (name.equals(args[i]) && i + 1 < args.length) {
                return Integer.parseInt(args[i + 1]);
            }
            if (args[i].startsWith(name + "=")) {
                return Integer.parseInt(args[i].substring(name.length() + 1));
            }
        }
        return otherwise;
    }

    /**
     * Recognizes an HTTP/2 connection only once the client's first HEADERS frame is complete in the buffer (then the
     * connection is handed to the h2c factory, which replays every buffered byte); bytes that are not the HTTP/2
     * client preface are not recognized (the detector falls back to HTTP/1.1).
     */
    static final class HeadersDetector extends AbstractConnectionFactory implements ConnectionFactory.Detecting {
        private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

        private final ConnectionFactory h2c;

        /** {@code h2c}: where a recognized HTTP/2 connection goes (Jetty's h2c factory, or a relay). */
        HeadersDetector(ConnectionFactory h2c) {
            super("h2c-by-headers");
            this.h2c = h2c;
        }

        @Override
        public Detection detect(ByteBuffer buffer) {
            int at = buffer.position();
            int available = buffer.remaining();
            for (int i = 0; i < PREFACE.length; i++) {
                if (i >= available) {
                    return Detection.NEED_MORE_BYTES;
                }
                if (buffer.get(at + i) != PREFACE[i]) {
                    return Detection.NOT_RECOGNIZED;
                }
            }
            int frame = at + PREFACE.length;
            int end = at + available;
            while (end - frame >= 9) {
                int length = ((buffer.get(frame) & 0xFF) << 16) | ((buffer.get(frame + 1) & 0xFF) << 8)
                        | (buffer.get(frame + 2) & 0xFF);
                int type = buffer.get(frame + 3) & 0xFF;
                if (type == 0x1) { // HEADERS: route now (a gRPC request, or any other HTTP/2 request)
                    return end - frame - 9 >= length ? Detection.RECOGNIZED : Detection.NEED_MORE_BYTES;
                }
                frame += 9 + length;
            }
            return Detection.NEED_MORE_BYTES;
        }

        @Override
        public Connection newConnection(Connector connector, EndPoint endPoint) {
            System.err.println("sniffer: HEADERS seen, routing to " + h2c.getProtocol());
            return h2c.newConnection(connector, endPoint);
        }
    }

    /** Relays a connection byte for byte to a backend (a blocking socket per connection: a test app, not a proxy). */
    static final class RelayFactory extends AbstractConnectionFactory {
        private final InetSocketAddress backend;

        RelayFactory(InetSocketAddress backend) {
            super("tcp-relay");
            this.backend = backend;
        }

        @Override
        public Connection newConnection(Connector connector, EndPoint endPoint) {
            return configure(new RelayConnection(endPoint, connector.getExecutor(), backend), connector, endPoint);
        }
    }

    /** Client to backend: non-blocking fills; backend to client: one thread per connection reading the socket. */
    static final class RelayConnection extends AbstractConnection implements Connection.UpgradeTo {
        private final InetSocketAddress backendAddress;
        private final Socket backend = new Socket();
        private ByteBuffer upgradeBytes;

        RelayConnection(EndPoint endPoint, Executor executor, InetSocketAddress backendAddress) {
            super(endPoint, executor);
            this.backendAddress = backendAddress;
        }

        @Override
        public void onUpgradeTo(ByteBuffer buffer) {
            // The detector's buffered bytes (preface, SETTINGS, ..., HEADERS): copied, they are the detector's.
            upgradeBytes = ByteBuffer.allocate(buffer.remaining()).put(buffer).flip();
        }

        @Override
        public void onOpen() {
            super.onOpen();
            getExecutor().execute(() -> {
                try {
                    backend.setTcpNoDelay(true);
                    backend.connect(backendAddress, 5000);
                    if (upgradeBytes != null) {
                        backend.getOutputStream().write(upgradeBytes.array(), 0, upgradeBytes.limit());
                    }
                    fillInterested();
                    InputStream in = backend.getInputStream();
                    byte[] chunk = new byte[16384];
                    for (int n; (n = in.read(chunk)) >= 0; ) {
                        FutureCallback written = new FutureCallback();
                        getEndPoint().write(written, ByteBuffer.wrap(chunk, 0, n));
                        written.get(10, TimeUnit.SECONDS);
                    }
                } catch (Exception e) {
                    System.err.println("relay: " + e);
                }
                getEndPoint().close();
            });
        }

        @Override
        public void onFillable() {
            ByteBuffer buffer = BufferUtil.allocate(16384);
            try {
                while (true) {
                    BufferUtil.clear(buffer);
                    int n = getEndPoint().fill(buffer);
                    if (n > 0) {
                        backend.getOutputStream().write(buffer.array(), buffer.arrayOffset() + buffer.position(), n);
                    } else if (n == 0) {
                        fillInterested();
                        return;
                    } else {
                        backend.close();
                        return;
                    }
                }
            } catch (IOException e) {
                System.err.println("relay: " + e);
                getEndPoint().close();
            }
        }

        @Override
        public void onClose(Throwable cause) {
            super.onClose(cause);
            try {
                backend.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    static final class AppHandler extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) throws Exception {
            Content.Source.asByteBuffer(request); // read the whole request first, as a gRPC server does
            String path = request.getHttpURI().getPath();
            System.err.println("request " + request.getMethod() + " " + path + " " + request.getConnectionMetaData()
                    .getProtocol());
            switch (path) {
                case "/grpc.health.v1.Health/Check":
                    response.setStatus(200);
                    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/grpc");
                    response.setTrailersSupplier(() -> HttpFields.build().put("grpc-status", "0"));
                    // HealthCheckResponse{status: SERVING}, length-prefixed: not compressed, 2 bytes, field 1 = 1.
                    response.write(true, ByteBuffer.wrap(new byte[] {0, 0, 0, 0, 2, 0x08, 0x01}), callback);
                    return true;
                case "/h2patch.Test/Fail":
                    Jetty12Server.trailersOnlyError(response);
                    response.write(false, null, Callback.from(callback::succeeded, callback::failed));
                    return true;
                case "/hello":
                    Jetty12Server.text(response, 200, "hello\n", callback);
                    return true;
                default:
                    Jetty12Server.text(response, 404, "not found\n", callback);
                    return true;
            }
        }
    }
}
