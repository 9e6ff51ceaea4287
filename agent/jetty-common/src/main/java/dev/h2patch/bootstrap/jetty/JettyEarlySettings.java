package dev.h2patch.bootstrap.jetty;

import dev.h2patch.bootstrap.AdviceFailures;
import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * Helpers for the Jetty part of the early-settings fix, called from advice inlined into Jetty (9.4 to 12.1).
 *
 * <p>Reflection only, no Jetty types: the bootstrap module is on the boot class path and never sees Jetty. Each helper
 * runs at most a few times per connection (when an HTTP/2 connection opens, or when a detecting connection holds a
 * client preface), never per frame.
 */
public final class JettyEarlySettings {

    /** The HTTP/2 client connection preface, {@code PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n}. */
    private static final byte[] PREFACE = {
        'P', 'R', 'I', ' ', '*', ' ', 'H', 'T', 'T', 'P', '/', '2', '.', '0', '\r', '\n', '\r', '\n',
        'S', 'M', '\r', '\n', '\r', '\n'};

    /** Detecting connections already sent an empty SETTINGS frame; weak, so a closed connection leaves nothing. */
    private static final Map<Object, Boolean> SENT = new WeakHashMap<Object, Boolean>();

    /** Per parser class: Jetty's private {@code boolean notifyPreface} of {@code ServerParser}, or null. */
    private static final ClassValue<Field> NOTIFY_PREFACE = new ClassValue<Field>() {
        @Override
        protected Field computeValue(Class<?> type) {
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                try {
                    Field field = c.getDeclaredField("notifyPreface");
                    if (field.getType() != boolean.class) {
                        return null;
                    }
                    field.setAccessible(true);
                    return field;
                } catch (NoSuchFieldException e) {
                    // keep looking in the superclass
                } catch (RuntimeException e) {
                    // Inaccessible (a named module that does not open the package): the fix does nothing on this
                    // connector, and says so once.
                    AdviceFailures.failed(e, "early-settings", type);
                    return null;
                }
            }
            return null;
        }
    };

    private JettyEarlySettings() {
    }

    /**
     * Whether Jetty's {@code ServerParser} will still call {@code onPreface()} when it has parsed the client preface
     * ({@code notifyPreface}, false after an HTTP/1.1 {@code Upgrade: h2c}, whose server preface is already out).
     * False when the field cannot be read: then the fix does nothing.
     */
    public static boolean prefaceStillToNotify(Object serverParser) {
        Field field = NOTIFY_PREFACE.get(serverParser.getClass());
        if (field == null) {
            return false;
        }
        try {
            return field.getBoolean(serverParser);
        } catch (Exception e) {
            return false;
        }
    }

    /** Whether the bytes from {@code buffer}'s position on start with the whole 24-byte client preface. */
    public static boolean startsWithPreface(ByteBuffer buffer) {
        if (buffer == null) {
            return false;
        }
        int at = buffer.position();
        if (buffer.limit() - at < PREFACE.length) {
            return false;
        }
        for (int i = 0; i < PREFACE.length; i++) {
            if (buffer.get(at + i) != PREFACE[i]) {
                return false;
            }
        }
        return true;
    }

    /** A new empty SETTINGS frame (length 0, type 4, no flags, stream 0), ready to be written. */
    public static ByteBuffer emptySettingsFrame() {
        return ByteBuffer.wrap(new byte[] {0, 0, 0, 4, 0, 0, 0, 0, 0});
    }

    /** Remembers that {@code connection} was sent the empty SETTINGS frame; false if it already was. */
    public static boolean markSent(Object connection) {
        synchronized (SENT) {
            return SENT.put(connection, Boolean.TRUE) == null;
        }
    }

    /** Jetty's base class of every HTTP/2 server connection factory, the same name on every line (9.4 to 12.1). */
    static final String HTTP2_SERVER_FACTORY = "org.eclipse.jetty.http2.server.AbstractHTTP2ServerConnectionFactory";

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

    /** Whether {@code connection} was already sent the empty SETTINGS frame. */
    public static boolean wasSent(Object connection) {
        synchronized (SENT) {
            return SENT.containsKey(connection);
        }
    }
}
