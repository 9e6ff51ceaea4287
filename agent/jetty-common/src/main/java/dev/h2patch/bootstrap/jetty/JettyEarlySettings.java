package dev.h2patch.bootstrap.jetty;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.EarlySettings;
import dev.h2patch.bootstrap.H2patchRuntime;
import dev.h2patch.bootstrap.Http2Frames;
import java.nio.ByteBuffer;

/**
 * The decisions of the Jetty part of the early-settings fix (docs/fixes/early-settings.md, "Jetty"), called from the
 * advice of every Jetty line (9.4 to 12.1), which reads Jetty's objects and does what is decided here. The bookkeeping
 * (the connections spoken first on, the preface bytes, the empty SETTINGS frame, reading a private flag) is the one
 * {@link EarlySettings} Netty's fix uses too; what is Jetty's is which field says that the preface is still to be
 * notified, and which connection factories serve HTTP/2.
 *
 * <p>Reflection only, no Jetty types: these classes are injected with the bootstrap helpers and never see Jetty. Each
 * helper runs at most a few times per connection (when an HTTP/2 connection opens, or when a detecting connection holds
 * a client preface), never per frame.
 */
public final class JettyEarlySettings {

    /** Detecting connections already sent an empty SETTINGS frame (Jetty takes no ACK away: marks are never taken). */
    private static final EarlySettings.Connections SENT = new EarlySettings.Connections();

    /** Jetty's private {@code boolean notifyPreface} of {@code ServerParser}. */
    private static final EarlySettings.Flag NOTIFY_PREFACE = new EarlySettings.Flag("notifyPreface");

    /** Jetty's base class of every HTTP/2 server connection factory, the same name on every line (9.4 to 12.1). */
    static final String HTTP2_SERVER_FACTORY = "org.eclipse.jetty.http2.server.AbstractHTTP2ServerConnectionFactory";

    private JettyEarlySettings() {
    }

    /**
     * At {@code HTTP2ServerConnection.notifyAccept}: whether the advice makes Jetty send its SETTINGS now (its
     * {@code ServerParser.standardUpgrade()}, then {@code session.onPreface()}). Only while the parser still means to
     * notify the client preface ({@code notifyPreface}; false after an HTTP/1.1 {@code Upgrade: h2c}, whose server
     * preface is already out, and false when the field cannot be read: then the fix does nothing). In report mode it
     * counts {@code early-settings.would-flush} and returns false.
     */
    public static boolean flushAtOpen(Object serverParser) {
        if (!NOTIFY_PREFACE.read(serverParser, false)) {
            return false;
        }
        if (H2patchRuntime.reportsOnly(Counters.EARLY_SETTINGS_WOULD_FLUSH)) {
            return false;
        }
        return true;
    }

    /**
     * After a detection that did not upgrade: whether the detector's own buffer ({@code bytes}, null if none) holds
     * the whole client preface, undecided, and the sniffer part is on (option {@code early-settings-sniffers}). The
     * cheap test; {@link #claimDetector} decides.
     */
    public static boolean holdsPreface(ByteBuffer bytes) {
        return H2patchRuntime.earlySettingsSniffers && Http2Frames.startsWithClientPreface(bytes);
    }

    /**
     * For a detecting {@code connection} that {@link #holdsPreface}: whether the advice writes the empty SETTINGS frame
     * ({@link Http2Frames#emptySettingsFrame}) to its endpoint now. Only on an open endpoint, once per connection,
     * and only when the detector's connector ({@code connectionFactories}: {@code Connector.getConnectionFactories()})
     * {@link #servesHttp2}; report mode counts and writes nothing ({@link EarlySettings.Connections#claim}).
     */
    public static boolean claimDetector(Object connection, boolean open, Iterable<?> connectionFactories) {
        return open && !SENT.isMarked(connection) && servesHttp2(connectionFactories) && SENT.claim(connection);
    }

    /**
     * Whether one of a connector's connection factories ({@code Connector.getConnectionFactories()}) is a Jetty HTTP/2
     * server factory (h2c, h2 or raw HTTP/2; by class name, so that no Jetty type is needed here): only then can a
     * detector hand a connection that starts with the client preface to an HTTP/2 server of this process. A
     * connector without one would relay or refuse such a connection; an empty SETTINGS frame written into it would be
     * a server preface this process never follows with its own (RFC 9113 §3.4, §6.5.3).
     */
    public static boolean servesHttp2(Iterable<?> connectionFactories) {
        if (connectionFactories == null) {
            return false;
        }
        for (Object factory : connectionFactories) {
            for (Class<?> c = factory == null ? null : factory.getClass(); c != null; c = c.getSuperclass()) {
                if (c.getName().equals(HTTP2_SERVER_FACTORY)) {
                    return true;
                }
            }
        }
        return false;
    }
}
