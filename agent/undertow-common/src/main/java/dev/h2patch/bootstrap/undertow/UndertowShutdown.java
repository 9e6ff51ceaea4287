package dev.h2patch.bootstrap.undertow;

import dev.h2patch.bootstrap.AgentTimer;
import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;

/**
 * connection-state for Undertow, the graceful shutdown (docs/fixes/connection-state.md, "Undertow"):
 * {@code GracefulShutdownHandler.shutdown()} only makes the handler answer 503 to new requests, and
 * {@code Undertow.stop()} closes the connections, so no HTTP/2 client is ever told with a GOAWAY (RFC 9113 §6.8) that
 * the server is going away: it keeps sending new streams to it, and they get 503 or a dead connection.
 *
 * <p>The server's HTTP/2 connections are remembered as Undertow opens them ({@link #register}, weakly). At
 * {@code shutdown()} ({@link #shutdown}) each open one gets GOAWAY(NO_ERROR, its last stream) at once: an idle one
 * through Undertow's own {@code sendGoAway}, which also closes it; one with streams in flight through a GOAWAY frame
 * that does not end the connection ({@link #keepsConnectionOpen}: Undertow's GOAWAY frame is otherwise its "last
 * frame", after which it shuts the socket's write side), with {@code thisGoneAway} set as {@code sendGoAway} sets it.
 * Such a connection is closed when its last stream ends ({@link UndertowGoAway#closesNow}), or when
 * {@code shutdown-drain-ms} has passed, whichever comes first.
 *
 * <p>Undertow's members used here are private or package-private ({@code Http2Channel.thisGoneAway},
 * {@code getLastGoodStreamId()}, the {@code Http2GoAwayStreamSinkChannel} constructor) and reached by reflection,
 * once per class. java.* only.
 */
public final class UndertowShutdown {

    /** The GOAWAY frame's channel class, in the package of {@code Http2Channel}. */
    private static final String GOAWAY_SINK = "Http2GoAwayStreamSinkChannel";

    /** The server connections Undertow opened and that may still be open (weakly held). */
    private static final Map<Object, Boolean> CONNECTIONS = new WeakHashMap<Object, Boolean>();

    /** Connections drained by a shutdown: their GOAWAY is not a last frame. */
    private static final Map<Object, Boolean> DRAINING = new WeakHashMap<Object, Boolean>();
    private static volatile int draining;

    private static final AgentTimer TIMER = new AgentTimer("h2patch-undertow-drain", true);

    private static final ClassValue<Access> ACCESS = new ClassValue<Access>() {
        @Override
        protected Access computeValue(Class<?> type) {
            return new Access(type);
        }
    };

    private UndertowShutdown() {
    }

    /** A server HTTP/2 connection Undertow just opened ({@code client}: {@code Http2Channel.isClient()}). */
    public static void register(Object channel, boolean client) {
        if (client) {
            return;
        }
        synchronized (CONNECTIONS) {
            CONNECTIONS.put(channel, Boolean.TRUE);
        }
    }

    /**
     * {@code GracefulShutdownHandler.shutdown()} ran: GOAWAY(NO_ERROR) on every open registered connection. A
     * connection with streams in flight gets a GOAWAY frame that keeps it open, and is closed at its last stream or at
     * {@code shutdown-drain-ms}; the idle ones are returned, for the advice to send them Undertow's own
     * {@code sendGoAway(NO_ERROR)} (GOAWAY, then close). Counted: {@code connection-state.streams-saved-shutdown} per
     * stream in flight; in report mode {@code would-change} once per busy connection, and nothing is sent to it.
     *
     * @return the idle connections, for Undertow's {@code sendGoAway(NO_ERROR)}
     */
    public static List<Object> shutdown() throws Exception {
        List<Object> open;
        synchronized (CONNECTIONS) {
            open = new ArrayList<Object>(CONNECTIONS.keySet());
            CONNECTIONS.clear();
        }
        List<Object> idle = new ArrayList<Object>();
        for (Object channel : open) {
            Access access = ACCESS.get(channel.getClass());
            if (!access.isOpen(channel)) {
                continue;
            }
            int streams = access.activeStreams(channel);
            if (streams == 0) {
                idle.add(channel);
                continue;
            }
            if (H2patchRuntime.reportsOnly(Counters.CONNECTION_STATE_WOULD_CHANGE)) {
                continue;
            }
            for (int i = 0; i < streams; i++) {
                Counters.increment(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN);
            }
            drainAfterGoAway(channel, access);
        }
        return idle;
    }

    /** GOAWAY(NO_ERROR) that keeps the connection open, then the close at the last stream or the bound. */
    private static void drainAfterGoAway(final Object channel, Access access) throws Exception {
        synchronized (DRAINING) {
            DRAINING.put(channel, Boolean.TRUE);
            draining = DRAINING.size();
        }
        UndertowGoAway.drainUntilLastStream(channel);
        access.sendGoAwayFrame(channel);
        final long bound = H2patchRuntime.shutdownDrainMillis;
        TIMER.get().schedule(new Runnable() {
            @Override
            public void run() {
                if (UndertowGoAway.closesNow(channel, 0)) {
                    Counters.increment(Counters.CONNECTION_STATE_DRAIN_TIMEOUT);
                    try {
                        ACCESS.get(channel.getClass()).close(channel);
                    } catch (Throwable ignored) {
                        // The connection is left to Undertow's own close (Undertow.stop()).
                    }
                }
            }
        }, bound, TimeUnit.MILLISECONDS);
    }

    /**
     * Whether the GOAWAY frame being built on {@code channel} is one of a drain: then it must not be Undertow's "last
     * frame" (after which Undertow shuts the socket's write side and the streams in flight could not finish).
     */
    public static boolean keepsConnectionOpen(Object channel) {
        if (draining == 0) {
            return false;
        }
        synchronized (DRAINING) {
            return DRAINING.containsKey(channel);
        }
    }

    /** Whether {@code channel} is registered (tests). */
    static boolean isRegistered(Object channel) {
        synchronized (CONNECTIONS) {
            return CONNECTIONS.containsKey(channel);
        }
    }

    /**
     * Detach: a drain under way runs to its bound (the connection is closed at {@code shutdown-drain-ms}, as promised
     * to the application whose shutdown waits for it), then the timer's thread ends; a later drain starts a new one.
     */
    public static void stop() {
        TIMER.stopAfterQueued();
    }

    /** Undertow's members, per {@code Http2Channel} class. */
    static final class Access {
        final Field thisGoneAway;
        final Field currentStreams;
        final Method lastGoodStreamId;
        final Method isOpen;
        final Method close;
        final Constructor<?> goAwaySink;

        Access(Class<?> type) {
            try {
                thisGoneAway = declared(type, "thisGoneAway");
                currentStreams = declared(type, "currentStreams");
                lastGoodStreamId = type.getDeclaredMethod("getLastGoodStreamId");
                lastGoodStreamId.setAccessible(true);
                isOpen = type.getMethod("isOpen");
                close = type.getMethod("close");
                String pkg = type.getName().substring(0, type.getName().lastIndexOf('.') + 1);
                Class<?> sink = Class.forName(pkg + GOAWAY_SINK, false, type.getClassLoader());
                goAwaySink = sink.getDeclaredConstructor(type, int.class, int.class);
                goAwaySink.setAccessible(true);
            } catch (Exception e) {
                throw new IllegalStateException(type.getName() + " lacks what Undertow 2.2 to 2.4 have: " + e, e);
            }
        }

        private static Field declared(Class<?> type, String name) throws NoSuchFieldException {
            Field field = type.getDeclaredField(name);
            field.setAccessible(true);
            return field;
        }

        boolean isOpen(Object channel) throws Exception {
            return (Boolean) isOpen.invoke(channel);
        }

        int activeStreams(Object channel) throws Exception {
            return ((Map<?, ?>) currentStreams.get(channel)).size();
        }

        void close(Object channel) throws Exception {
            close.invoke(channel);
        }

        /** What {@code sendGoAway(NO_ERROR)} sends, without its close: the frame, and {@code thisGoneAway}. */
        void sendGoAwayFrame(Object channel) throws Exception {
            if (thisGoneAway.getBoolean(channel)) {
                return; // Undertow already sent its GOAWAY
            }
            thisGoneAway.setBoolean(channel, true);
            Object sink = goAwaySink.newInstance(channel, 0, lastGoodStreamId.invoke(channel));
            Method shutdownWrites = sink.getClass().getMethod("shutdownWrites");
            shutdownWrites.setAccessible(true);
            shutdownWrites.invoke(sink); // queues the frame; Undertow's I/O thread writes it
        }
    }
}
