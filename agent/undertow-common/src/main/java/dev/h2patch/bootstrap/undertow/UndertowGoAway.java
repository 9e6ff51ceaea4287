package dev.h2patch.bootstrap.undertow;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import java.lang.reflect.Field;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * connection-state for Undertow, the client's GOAWAY (docs/fixes/connection-state.md, "Undertow"): Undertow's
 * {@code Http2Channel.createChannelImpl} handles a GOAWAY frame by resetting every stream it has ("the peer is going
 * away, everything is broken"), then sends its own GOAWAY and closes the connection, so a client that says
 * GOAWAY(NO_ERROR) while its requests are in flight (RFC 9113 §6.8: a graceful close, the streams up to the last id
 * are still to be completed) loses all of them.
 *
 * <p>The advice asks here on each frame ({@link #goAwayKeepingStreams}); for a client's GOAWAY(NO_ERROR) on a server
 * connection with streams in flight, this thread is marked as handling it ({@link #handling}) until the frame is
 * handled, and the advice on the streams' {@code rstStream()} and on the channel's {@code sendGoAway} skip them while
 * the mark is set: the streams go on, and the connection stays open. The connection is remembered
 * ({@link #closesNow}): when its last stream ends, the advice sends Undertow's own {@code sendGoAway(NO_ERROR)}, which
 * answers the client's GOAWAY and closes, as Undertow did at once before.
 */
public final class UndertowGoAway {

    /** RFC 9113 §6.8: GOAWAY is frame type 0x7. */
    public static final int FRAME_TYPE_GOAWAY = 0x7;

    /** The connection whose client GOAWAY(NO_ERROR) this thread is handling with its streams kept, or null. */
    private static final ThreadLocal<Object> HANDLING = new ThreadLocal<Object>();

    /** Connections whose client went away gracefully, waiting for their last stream to end (weakly held). */
    private static final Map<Object, Boolean> DRAINING = new WeakHashMap<Object, Boolean>();
    private static volatile int draining;

    /** {@code Http2FrameHeaderParser}'s package-private {@code int type} and {@code parser}, per class. */
    private static final ClassValue<Field[]> HEADER_FIELDS = new ClassValue<Field[]>() {
        @Override
        protected Field[] computeValue(Class<?> type) {
            try {
                Field frameType = type.getDeclaredField("type");
                Field parser = type.getDeclaredField("parser");
                frameType.setAccessible(true);
                parser.setAccessible(true);
                return new Field[] {frameType, parser};
            } catch (NoSuchFieldException e) {
                throw new IllegalStateException(type.getName() + " has no type and parser fields", e);
            }
        }
    };

    private UndertowGoAway() {
    }

    /**
     * The frame parser of a GOAWAY frame ({@code frameHeader}: the {@code Http2FrameHeaderParser} that
     * {@code createChannelImpl} receives), or null for any other frame type: the advice then reads the error code from
     * it ({@code Http2GoAwayParser.getStatusCode()}, public).
     */
    public static Object goAwayParser(Object frameHeader) throws IllegalAccessException {
        Field[] fields = HEADER_FIELDS.get(frameHeader.getClass());
        return fields[0].getInt(frameHeader) == FRAME_TYPE_GOAWAY ? fields[1].get(frameHeader) : null;
    }

    /**
     * Whether a GOAWAY from the peer keeps the connection's streams: only a client's ({@code client}: the channel is
     * a server's), with error code NO_ERROR (a graceful close; another code says something broke, and Undertow's
     * reset stands), with streams in flight ({@code activeStreams}). Then the current thread is marked as handling it
     * and the connection is remembered until its last stream ends. Counted: {@code
     * connection-state.streams-saved-shutdown} by the streams kept, or in report mode {@code would-change} and false.
     */
    public static boolean goAwayKeepingStreams(Object channel, boolean client, long errorCode, int activeStreams) {
        if (client || errorCode != 0 || activeStreams <= 0) {
            return false;
        }
        if (H2patchRuntime.reportsOnly(Counters.CONNECTION_STATE_WOULD_CHANGE)) {
            return false;
        }
        for (int i = 0; i < activeStreams; i++) {
            Counters.increment(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN);
        }
        synchronized (DRAINING) {
            DRAINING.put(channel, Boolean.TRUE);
            draining = DRAINING.size();
        }
        HANDLING.set(channel);
        return true;
    }

    /**
     * A connection sent GOAWAY at a graceful shutdown ({@link UndertowShutdown}) with streams in flight: closed by the
     * advice when its last stream ends, as after a client's GOAWAY.
     */
    public static void drainUntilLastStream(Object channel) {
        synchronized (DRAINING) {
            DRAINING.put(channel, Boolean.TRUE);
            draining = DRAINING.size();
        }
    }

    /** The GOAWAY frame is handled: the thread's mark goes (called only where {@link #goAwayKeepingStreams} set it). */
    public static void handled() {
        HANDLING.remove();
    }

    /** Whether this thread is handling a client's GOAWAY(NO_ERROR) with streams kept, on any connection. */
    public static boolean handlingAny() {
        return HANDLING.get() != null;
    }

    /** Whether this thread is handling a client's GOAWAY(NO_ERROR) with streams kept on {@code channel}. */
    public static boolean handling(Object channel) {
        return channel != null && HANDLING.get() == channel;
    }

    /**
     * After a stream of {@code channel} ended ({@code activeStreams} left): true exactly once, when the connection is
     * one whose client went away gracefully and its last stream is over; the advice then sends Undertow's GOAWAY, which
     * closes the connection. A volatile read while no connection is draining.
     */
    public static boolean closesNow(Object channel, int activeStreams) {
        if (draining == 0 || activeStreams > 0 || handling(channel)) {
            return false;
        }
        synchronized (DRAINING) {
            boolean was = DRAINING.remove(channel) != null;
            draining = DRAINING.size();
            return was;
        }
    }

    /** Whether {@code channel} waits for its last stream after a client's GOAWAY (tests). */
    static boolean isDraining(Object channel) {
        synchronized (DRAINING) {
            return DRAINING.containsKey(channel);
        }
    }
}
