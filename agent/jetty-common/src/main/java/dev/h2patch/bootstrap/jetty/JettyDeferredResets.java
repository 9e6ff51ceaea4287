package dev.h2patch.bootstrap.jetty;

import dev.h2patch.bootstrap.AgentThreads;
import dev.h2patch.bootstrap.AgentTimer;
import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.DeferredResets;
import dev.h2patch.bootstrap.H2patchRuntime;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The resets the Jetty proxy-safe-reset advice holds back: streams whose response is complete (the stream is locally
 * closed: its END_STREAM frame was written), whose server asked for a reset, and whose client is still sending.
 *
 * <p>The Jetty advice (one copy per Jetty API line) does the Jetty side: it marks the stream with a {@link Deferral}
 * as its {@link #STREAM_ATTRIBUTE} attribute, gives the stream a listener that discards request DATA (Jetty then
 * returns the flow-control window and closes the stream normally on the client's END_STREAM), and completes the
 * reset's callback. This class keeps what is shared by all lines and may not name Jetty types: the per-connection
 * count ({@link #MAX_PER_CONNECTION}), the byte count against {@link H2patchRuntime#resetDeferBytes}, and the timer for
 * {@link H2patchRuntime#resetDeferMillis}, which sends the held-back {@code RST_STREAM(NO_ERROR)} through the stream's
 * own public {@code reset(ResetFrame, Callback)} (looked up once per stream class), so it goes through the advice
 * again and is recognised by {@link #isFiring}.
 *
 * <p>Timers run on one daemon thread of this class, not on a Jetty scheduler (Jetty 10+ has no public accessor for
 * the session's scheduler): it only calls {@code reset}, which is thread-safe in every Jetty line and never blocks.
 * The thread is made by {@link AgentThreads} (no context class loader, nothing inherited from the request thread that
 * started it), exists only while a deferral is pending (it ends {@link #TIMER_KEEP_ALIVE_MS} ms after the last one),
 * and {@link #stop} (on detach) sends every held-back reset at once and ends it.
 * A {@link Deferral} holds its stream strongly only while its timer is pending (at most the time bound); the
 * per-connection counts are keyed weakly by the session. State changes of one deferral happen once, under its lock.
 */
public final class JettyDeferredResets {

    /** The stream attribute that marks a stream whose reset is held back; its value is the {@link Deferral}. */
    public static final String STREAM_ATTRIBUTE = "dev.h2patch.proxy-safe-reset";

    /** At most this many deferred resets per connection; beyond it, resets are sent at once (with NO_ERROR). */
    public static final int MAX_PER_CONNECTION = DeferredResets.MAX_PER_CONNECTION;

    /** {@link #onInbound}: nothing to do (the frame goes on through Jetty, into the discarding listener). */
    public static final int CONTINUE = 0;
    /** {@link #onInbound}: the byte bound passed: the caller sends the reset now. */
    public static final int FIRE = 1;

    static final int DEFERRED = 0;
    static final int ENDED = 1;
    static final int FIRING_TIMEOUT = 2;
    static final int FIRING_BYTES = 3;
    static final int FIRING_OTHER = 4;

    /** No RST_STREAM error code (they are unsigned 32-bit): the asked code of a deferral that was not told it. */
    static final long UNKNOWN_CODE = -1;

    private static final Map<Object, int[]> PER_SESSION = new WeakHashMap<Object, int[]>();

    /** Deferrals not yet ended or fired, over all connections. */
    private static volatile int count;

    /** How long the timer thread waits idle for a new deferral before it ends. */
    static final long TIMER_KEEP_ALIVE_MS = AgentTimer.KEEP_ALIVE_MS;

    /** The time bounds' timer thread; a cancelled timer leaves its queue at once. */
    private static final AgentTimer TIMER = new AgentTimer("h2patch-jetty-reset-timer", true);

    /** Deferrals reserved and not yet ended or fired (guarded by {@link #PER_SESSION}), for {@link #stop}. */
    private static final Set<Deferral> PENDING = new HashSet<Deferral>();

    private static final ClassValue<Method> RESET_METHOD = new ClassValue<Method>() {
        @Override
        protected Method computeValue(Class<?> streamType) {
            for (Method method : streamType.getMethods()) {
                if (method.getName().equals("reset") && method.getParameterTypes().length == 2
                        && method.getParameterTypes()[0].getName().endsWith(".ResetFrame")) {
                    return method;
                }
            }
            return null;
        }
    };

    private JettyDeferredResets() {
    }

    /** Whether any reset is held back anywhere in this JVM: one volatile read, for the inbound fast path. */
    public static boolean anyDeferred() {
        return count > 0;
    }

    /**
     * Takes one of the connection's {@link #MAX_PER_CONNECTION} slots for {@code stream} and returns its
     * {@link Deferral}, or null when the connection has none left (the caller then sends the reset at once, as
     * NO_ERROR). {@code resetFrame} and {@code callback} are what the timer passes to {@code stream.reset}.
     */
    public static Object reserve(Object session, Object stream, Object resetFrame, Object callback) {
        if (RESET_METHOD.get(stream.getClass()) == null) {
            return null;
        }
        synchronized (PER_SESSION) {
            int[] slots = PER_SESSION.get(session);
            if (slots == null) {
                slots = new int[1];
                PER_SESSION.put(session, slots);
            }
            if (slots[0] >= MAX_PER_CONNECTION) {
                return null;
            }
            slots[0]++;
            count++;
            Deferral deferral = new Deferral(slots, stream, resetFrame, callback);
            PENDING.add(deferral);
            return deferral;
        }
    }

    /**
     * Starts the time bound of a reserved deferral. Returns false when the timer could not be scheduled: the deferral
     * is then already firing, and the caller sends the reset at once.
     */
    public static boolean schedule(Object deferral, long millis) {
        return schedule(deferral, millis, UNKNOWN_CODE);
    }

    /**
     * {@link #schedule(Object, long)}, remembering {@code askedCode}, the error code of the reset Jetty asked for and
     * that is now held back, for {@link #isRepeat}.
     */
    public static boolean schedule(Object deferral, long millis, long askedCode) {
        Deferral d = (Deferral) deferral;
        d.askedCode = askedCode;
        try {
            Future<?> timer = TIMER.get().schedule(d, Math.max(0, millis), TimeUnit.MILLISECONDS);
            synchronized (d) {
                d.timer = timer;
            }
            return true;
        } catch (RuntimeException rejected) {
            d.finish(FIRING_OTHER);
            return false;
        }
    }

    /**
     * Whether a reset asked for a stream whose reset is still held back is that same reset asked again: the deferral
     * has neither ended nor fired, and the code is the one held back. Jetty 12 before jetty/jetty.project#13814 (seen
     * on 12.1.3) completes an exchange twice when the handler's callback succeeds while the handler still runs and
     * request content is left unread (jetty/jetty.project#13470): {@code HttpChannelState} calls
     * {@code completeStream} from the callback and again when the handler returns, and each call ends in
     * {@code HttpStreamOverHTTP2.failed(CONTENT_NOT_CONSUMED)}, which asks {@code RST_STREAM(NO_ERROR)}. Sending the
     * second would send at once the very reset the first was held back for (docs/fixes/proxy-safe-reset.md, "Jetty").
     */
    public static boolean isRepeat(Object deferral, long code) {
        Deferral d = (Deferral) deferral;
        return d.state == DEFERRED && d.askedCode == code;
    }

    /** Whether the reset of this deferral is still held back: it has neither ended nor fired. */
    public static boolean isHeld(Object deferral) {
        return ((Deferral) deferral).state == DEFERRED;
    }

    /** Whether the held-back reset of this deferral is being sent now (time or byte bound, or another reset). */
    public static boolean isFiring(Object deferral) {
        return ((Deferral) deferral).state >= FIRING_TIMEOUT;
    }

    /** Another reset was asked for a deferred stream (idle timeout, shutdown, ...): it goes out now, as NO_ERROR. */
    public static void fireNow(Object deferral) {
        ((Deferral) deferral).finish(FIRING_OTHER);
    }

    /**
     * Inbound request DATA ({@code bytes}: payload and padding) or the request's END_STREAM (DATA or trailers) for a
     * deferred stream. Returns {@link #FIRE} once, when the bytes pass {@link H2patchRuntime#resetDeferBytes}.
     */
    public static int onInbound(Object deferral, long bytes, boolean endOfStream) {
        Deferral d = (Deferral) deferral;
        if (endOfStream) {
            if (d.finish(ENDED)) {
                Counters.increment(Counters.PROXY_SAFE_RESET_AVOIDED);
            }
            return CONTINUE;
        }
        synchronized (d) {
            if (d.state != DEFERRED) {
                return CONTINUE;
            }
            d.bytes += bytes;
            if (d.bytes <= H2patchRuntime.resetDeferBytes) {
                return CONTINUE;
            }
        }
        if (d.finish(FIRING_BYTES)) {
            Counters.increment(Counters.PROXY_SAFE_RESET_DEFERRED_BYTES);
            return FIRE;
        }
        return CONTINUE;
    }

    /** The client reset the stream, or the stream failed: the held-back reset is dropped. */
    public static void onClosed(Object deferral) {
        ((Deferral) deferral).finish(ENDED);
    }

    /**
     * On detach: every reset still held back is sent now ({@code RST_STREAM(NO_ERROR)}, as at its time bound) and the
     * timer thread ends, so nothing of proxy-safe-reset is left pending in the JVM. A deferral made after this by
     * advice that was still running gets a new timer (whose thread again ends once idle).
     */
    public static void stop() {
        List<Deferral> pending;
        synchronized (PER_SESSION) {
            pending = new ArrayList<Deferral>(PENDING);
        }
        for (Deferral deferral : pending) {
            deferral.run();
        }
        TIMER.stop();
    }

    /** Whether the timer thread's executor exists (tests). */
    static boolean hasTimers() {
        return TIMER.started();
    }

    /** One held-back reset. Its timer sends it at the time bound unless it ended or fired before. */
    static final class Deferral implements Runnable {
        private final int[] slots;
        private final Object resetFrame;
        private final Object callback;
        /** Cleared once the deferral ends or fires: nothing here keeps the stream alive after that. */
        private Object stream;
        private Future<?> timer;
        private long bytes;
        /** The error code of the reset Jetty asked for and that is held back ({@link #isRepeat}). */
        volatile long askedCode = UNKNOWN_CODE;
        volatile int state = DEFERRED;

        Deferral(int[] slots, Object stream, Object resetFrame, Object callback) {
            this.slots = slots;
            this.stream = stream;
            this.resetFrame = resetFrame;
            this.callback = callback;
        }

        /** Moves DEFERRED to {@code newState} once: frees the slot, cancels the timer. False if already moved. */
        boolean finish(int newState) {
            Future<?> pending;
            synchronized (this) {
                if (state != DEFERRED) {
                    return false;
                }
                state = newState;
                pending = timer;
                timer = null;
                if (newState != FIRING_TIMEOUT) {
                    stream = null;
                }
            }
            synchronized (PER_SESSION) {
                slots[0]--;
                count--;
                PENDING.remove(this);
            }
            if (pending != null && newState != FIRING_TIMEOUT) {
                pending.cancel(false);
            }
            return true;
        }

        @Override
        public void run() {
            Object target;
            synchronized (this) {
                target = stream;
            }
            if (!finish(FIRING_TIMEOUT) || target == null) {
                return;
            }
            synchronized (this) {
                stream = null;
            }
            Counters.increment(Counters.PROXY_SAFE_RESET_DEFERRED_TIMEOUT);
            try {
                Method reset = RESET_METHOD.get(target.getClass());
                if (reset != null) {
                    reset.invoke(target, resetFrame, callback);
                }
            } catch (Throwable ignored) {
                // The connection went away meanwhile; its streams are closed with it.
            }
        }
    }
}
