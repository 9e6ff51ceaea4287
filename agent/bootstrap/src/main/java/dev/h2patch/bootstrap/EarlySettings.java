package dev.h2patch.bootstrap;

import java.lang.reflect.Field;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The connections to which the early-settings fix sent an empty SETTINGS frame of its own, and whose client has not
 * yet had that frame's ACK taken out of the library's settings accounting.
 *
 * <p>Every SETTINGS frame a server sends is acknowledged by the client, in order (RFC 9113 §6.5.3). Netty applies its
 * own local settings when a SETTINGS ACK arrives, oldest sent first ({@code encoder.pollSentSettings()}). When the fix
 * speaks first for a connection whose HTTP/2 codec is not installed yet, the client's first ACK confirms the fix's
 * empty frame, not Netty's settings: that one ACK must be taken away from Netty, exactly once per marked connection.
 *
 * <p>Keyed by the connection's channel, weakly: a connection that closes before the client acknowledged leaves
 * nothing behind. {@link #anyPending()} is a volatile read that lets the ACK path skip the lock entirely while no
 * connection is marked, which is the normal state of a server without a port sniffer.
 */
public final class EarlySettings {

    private static final Map<Object, Boolean> PENDING = new WeakHashMap<Object, Boolean>();

    /** How many marks were set and not yet taken; may over-count marks of connections already collected. */
    private static volatile int marks;

    /** Per handler class: Netty's private {@code boolean flushPreface} field (4.1.78+), or null where there is none. */
    private static final ClassValue<Field> FLUSH_PREFACE = new ClassValue<Field>() {
        @Override
        protected Field computeValue(Class<?> type) {
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                try {
                    Field field = c.getDeclaredField("flushPreface");
                    if (field.getType() != boolean.class) {
                        return null;
                    }
                    field.setAccessible(true);
                    return field;
                } catch (NoSuchFieldException e) {
                    // keep looking in the superclass
                } catch (RuntimeException e) {
                    // Inaccessible (a named module that does not open the package): behave as before 4.1.78, but
                    // say so: the flush part of the fix does nothing here.
                    AdviceFailures.failed(e, "early-settings", type);
                    return null;
                }
            }
            return null;
        }
    };

    private EarlySettings() {
    }

    /**
     * Whether a Netty {@code Http2ConnectionHandler} wants its preface flushed: its {@code flushPreface} setting
     * (4.1.78+, true unless the application turned it off), or true where the setting does not exist (before 4.1.78,
     * where the preface was meant to go out and simply was not flushed, netty#12089).
     */
    public static boolean flushPrefaceWanted(Object handler) {
        Field field = FLUSH_PREFACE.get(handler.getClass());
        if (field == null) {
            return true;
        }
        try {
            return field.getBoolean(handler);
        } catch (Exception e) {
            return true;
        }
    }

    /** Whether any connection may still be waiting for its early SETTINGS to be acknowledged. */
    public static boolean anyPending() {
        return marks > 0;
    }

    /** Remembers that an empty SETTINGS frame was sent on {@code connection}; false if it was already marked. */
    public static boolean mark(Object connection) {
        synchronized (PENDING) {
            if (PENDING.containsKey(connection)) {
                return false;
            }
            PENDING.put(connection, Boolean.TRUE);
            marks = PENDING.size();
            return true;
        }
    }

    /** Whether {@code connection} is marked (its early SETTINGS not yet acknowledged). */
    public static boolean isMarked(Object connection) {
        if (marks == 0) {
            return false;
        }
        synchronized (PENDING) {
            return PENDING.containsKey(connection);
        }
    }

    /**
     * Takes the mark of {@code connection}: returns true exactly once per mark, for the SETTINGS ACK that
     * acknowledges the fix's own frame.
     */
    public static boolean takeAck(Object connection) {
        if (marks == 0) {
            return false;
        }
        synchronized (PENDING) {
            boolean taken = PENDING.remove(connection) != null;
            marks = PENDING.size();
            return taken;
        }
    }
}
