package dev.h2patch.cli.probe;

import java.io.IOException;
import java.lang.reflect.Method;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.cert.X509Certificate;
import java.util.Collections;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * TLS with ALPN "h2" (RFC 9113 §3.2). The ALPN methods of SSLParameters/SSLSocket are Java 9+ (and 8u252+), and the
 * agent core compiles for Java 8, so they are called by reflection; without them the probe says so and stops.
 */
final class Tls {

    /** This Java cannot offer ALPN. */
    static final class NoAlpnException extends IOException {
        private static final long serialVersionUID = 1L;

        NoAlpnException(String message) {
            super(message);
        }
    }

    private Tls() {
    }

    static Socket handshake(Socket plain, ProbeOptions options) throws IOException {
        Method setProtocols;
        Method getProtocol;
        try {
            setProtocols = SSLParameters.class.getMethod("setApplicationProtocols", String[].class);
            getProtocol = SSLSocket.class.getMethod("getApplicationProtocol");
        } catch (NoSuchMethodException e) {
            throw new NoAlpnException("this Java (" + System.getProperty("java.version") + ") has no ALPN API: run the"
                    + " probe with Java 9 or newer (or 8u252+) to reach an https:// URL");
        }
        SSLSocketFactory factory;
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, options.insecure ? new TrustManager[] {new TrustAll()} : null, null);
            factory = context.getSocketFactory();
        } catch (GeneralSecurityException e) {
            throw new IOException("TLS unavailable: " + e, e);
        }
        String sni = options.sni != null ? options.sni : options.host;
        SSLSocket socket = (SSLSocket) factory.createSocket(plain, sni, options.port, true);
        SSLParameters parameters = socket.getSSLParameters();
        if (!options.insecure) {
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
        }
        // SNI carries host names only, never IP literals (RFC 6066 §3).
        if (!sni.isEmpty() && !sni.matches("[0-9.]+") && sni.indexOf(':') < 0) {
            parameters.setServerNames(Collections.<javax.net.ssl.SNIServerName>singletonList(new SNIHostName(sni)));
        }
        try {
            setProtocols.invoke(parameters, (Object) new String[] {"h2"});
        } catch (ReflectiveOperationException e) {
            throw new NoAlpnException("ALPN could not be set on this Java: " + e);
        }
        socket.setSSLParameters(parameters);
        socket.setSoTimeout(options.timeoutMs);
        socket.startHandshake();
        socket.setSoTimeout(0);
        String chosen;
        try {
            chosen = (String) getProtocol.invoke(socket);
        } catch (ReflectiveOperationException e) {
            throw new NoAlpnException("ALPN result unreadable on this Java: " + e);
        }
        if (!"h2".equals(chosen)) {
            socket.close();
            throw new IOException("the server did not choose HTTP/2 by ALPN (it chose "
                    + (chosen == null || chosen.isEmpty() ? "no protocol" : "'" + chosen + "'") + ")");
        }
        return socket;
    }

    /** --insecure: any certificate, as curl -k. */
    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
