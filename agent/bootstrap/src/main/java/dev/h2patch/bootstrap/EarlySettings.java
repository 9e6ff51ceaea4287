package dev.h2patch.bootstrap;

import java.lang.reflect.Field;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * The early-settings bookkeeping every library's fix shares (docs/fixes/early-settings.md; the bytes it recognises
 * and writes are {@link Http2Frames}'): the connections it spoke first on ({@link Connections}: once per connection, and the SETTINGS
 * ACK accounting where a library needs it), the decision to write, and the private flag a library keeps about its own
 * preface ({@link Flag}). java.* only; what is particular to a library (which field, which default, when to look) is
 * said by the caller: Netty's advice through the static methods below, Jetty's through
 * {@code dev.h2patch.bootstrap.jetty.JettyEarlySettings}.
 */
public final class EarlySettings {

    /** The connections Netty's fix spoke first on (the static methods below, called by the Netty advice). */
    private static final Connections NETTY = new Connections();

    /** Netty's private {@code boolean flushPreface} of {@code Http2ConnectionHandler} (4.1.78+). */
    private static final Flag FLUSH_PREFACE = new Flag("flushPreface");

    private EarlySettings() {
    }

    /**
     * The connections on which one library's fix wrote an empty SETTINGS frame of its own, and whose client has not
     * yet had that frame's ACK taken out of the library's settings accounting.
     *
     * <p>Every SETTINGS frame a server sends is acknowledged by the client, in order (RFC 9113 §6.5.3). Netty applies
     * its own local settings when a SETTINGS ACK arrives, oldest sent first ({@code encoder.pollSentSettings()}): when
     * the fix speaks first for a connection whose HTTP/2 codec is not installed yet, the client's first ACK confirms
     * the fix's empty frame, not Netty's settings, so that one ACK is taken away from Netty ({@link #takeAck}), exactly
     * once per marked connection. Jetty applies its settings when it sends them and ignores ACKs: its marks only say
     * that the frame went out, never taken.
     *
     * <p>Keyed by connection, weakly: a connection that closes before the client acknowledged leaves nothing behind.
     * {@link #anyPending()} is a volatile read that lets the ACK path skip the lock entirely while no connection is
     * marked, which is the normal state of a server without a port sniffer.
     */
    public static final class Connections {

        private final Map<Object, Boolean> pending = new WeakHashMap<Object, Boolean>();

        /** How many marks were set and not yet taken; may over-count marks of connections already collected. */
        private volatile int marks;

        /** Whether any connection may still be marked. */
        public boolean anyPending() {
            return marks > 0;
        }

        /** Remembers that an empty SETTINGS frame was sent on {@code connection}; false if it was already marked. */
        public boolean mark(Object connection) {
            synchronized (pending) {
                if (pending.containsKey(connection)) {
                    return false;
                }
                pending.put(connection, Boolean.TRUE);
                marks = pending.size();
                return true;
            }
        }

        /** Whether {@code connection} is marked (its early SETTINGS sent and, for Netty, not yet acknowledged). */
        public boolean isMarked(Object connection) {
            if (marks == 0) {
                return false;
            }
            synchronized (pending) {
                return pending.containsKey(connection);
            }
        }

        /**
         * Takes the mark of {@code connection}: returns true exactly once per mark, for the SETTINGS ACK that
         * acknowledges the fix's own frame.
         */
        public boolean takeAck(Object connection) {
            if (marks == 0) {
                return false;
            }
            synchronized (pending) {
                boolean taken = pending.remove(connection) != null;
                marks = pending.size();
                return taken;
            }
        }

        /**
         * The last step before the fix writes its empty SETTINGS frame on {@code connection}, once every
         * library-specific check passed: in report mode it counts {@code early-settings.would-send} and returns false;
         * otherwise it marks the connection and returns true if it was not marked yet (the caller then writes the
         * frame and counts {@code early-settings.sent} once written).
         */
        public boolean claim(Object connection) {
            if (H2patchRuntime.reportOnly) {
                Counters.increment(Counters.EARLY_SETTINGS_WOULD_SEND);
                return false;
            }
            return mark(connection);
        }
    }

    /**
     * A library's private {@code boolean} instance field, found by name in a class or its superclasses once per class,
     * read by reflection: how the fix learns what the library itself means to do with its preface (Netty's
     * {@code flushPreface}, Jetty's {@code ServerParser.notifyPreface}). A field that is missing, not a boolean or not
     * readable yields the caller's default; an inaccessible one (a named module that does not open its package) is
     * also reported once through {@link AdviceFailures} under early-settings.
     */
    public static final class Flag {

        private final ClassValue<Field> fields;

        public Flag(final String name) {
            this.fields = new ClassValue<Field>() {
                @Override
                protected Field computeValue(Class<?> type) {
                    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                        try {
                            Field field = c.getDeclaredField(name);
                            if (field.getType() != boolean.class) {
                                return null;
                            }
                            field.setAccessible(true);
                            return field;
                        } catch (NoSuchFieldException e) {
                            // keep looking in the superclass
                        } catch (RuntimeException e) {
                            AdviceFailures.failed(e, "early-settings", type);
                            return null;
                        }
                    }
                    return null;
                }
            };
        }

        /** The field's value in {@code target}, or {@code unknown} where it cannot be read. */
        public boolean read(Object target, boolean unknown) {
            Field field = fields.get(target.getClass());
            if (field == null) {
                return unknown;
            }
            try {
                return field.getBoolean(target);
            } catch (Exception e) {
                return unknown;
            }
        }
    }

    // Netty's entry points, called by its advice (agent/netty): its connections and its flushPreface flag.

    /**
     * The event through which Netty's per-read advice hands a read that began with the client preface to the
     * per-connection decision, inlined into the pipeline head's own {@code userEventTriggered}, which swallows it.
     *
     * <p>Why a hand-off and not one advice: the per-read advice is inlined into {@code HeadContext.channelRead}, a
     * 9-byte method that C2 inlines into every read; with the decision inlined too, the method grew to 558 bytes, over
     * C2's {@code FreqInlineSize} (325), and was no longer inlined (docs/libraries/netty.md, "The inlining budget").
     * The decision runs once per HTTP/2 connection, so it lives in a method that runs rarely. Compared by identity;
     * no application handler ever sees it.
     */
    public static final Object NETTY_CLIENT_PREFACE_READ = new HandOff("h2patch: client preface read");

    private static final class HandOff {
        private final String name;

        HandOff(String name) {
            this.name = name;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /**
     * Whether a Netty {@code Http2ConnectionHandler} wants its preface flushed: its {@code flushPreface} setting
     * (4.1.78+, true unless the application turned it off), or true where the setting does not exist (before 4.1.78,
     * where the preface was meant to go out and simply was not flushed, netty#12089).
     */
    public static boolean flushPrefaceWanted(Object handler) {
        return FLUSH_PREFACE.read(handler, true);
    }

    /** Whether any Netty connection may still be waiting for its early SETTINGS to be acknowledged. */
    public static boolean anyPending() {
        return NETTY.anyPending();
    }

    /** {@link Connections#mark} for a Netty connection (its channel). */
    public static boolean mark(Object connection) {
        return NETTY.mark(connection);
    }

    /** {@link Connections#isMarked} for a Netty connection (its channel). */
    public static boolean isMarked(Object connection) {
        return NETTY.isMarked(connection);
    }

    /** {@link Connections#takeAck} for a Netty connection (its channel). */
    public static boolean takeAck(Object connection) {
        return NETTY.takeAck(connection);
    }
}
