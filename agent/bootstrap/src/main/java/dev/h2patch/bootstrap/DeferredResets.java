package dev.h2patch.bootstrap;

import java.lang.ref.WeakReference;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The resets the proxy-safe-reset fix holds back: streams whose response is complete, whose application asked for a
 * reset, and whose client is still sending its request.
 *
 * <p>Why hold them back at all: RFC 9113 §8.1 lets a server that has sent a complete response stop the client's upload
 * with RST_STREAM(NO_ERROR), but a client behind HAProxy then sees the stream end with RST_STREAM(CANCEL) instead of
 * the response it already received (HAProxy sends its own CANCEL because the response ended before the request did,
 * haproxy/haproxy#1219), and gRPC clients report CANCELLED. Only a reset that is never sent cannot reach the client. So
 * the reset waits, bounded by {@link H2patchRuntime#resetDeferMillis} and {@link H2patchRuntime#resetDeferBytes}: if
 * the client's END_STREAM comes first, the stream closes normally and no reset is ever sent ({@link #discard} returns
 * {@link #ENDED}); otherwise the reset is sent with NO_ERROR by {@link Deferral#run()} at the bound.
 *
 * <p><b>Every deferral ends, exactly once</b> ({@link Deferral#finish}): on the client's END_STREAM, when its reset has
 * been sent, or at its time bound whatever happened meanwhile — the connection collected, its event loop shut down
 * (and with it anything scheduled there), the handler gone. The time bound is kept by this class's own daemon timer,
 * not by the connection's event loop, so nothing the loop does can lose it: at the bound the timer hands the reset to
 * the loop ({@code execute}) and, if the loop refuses it or the connection is gone, ends the deferral itself. The count
 * of live deferrals ({@link #anyDeferred()}) therefore always comes back to 0 at most one time bound after the last
 * deferral began.
 *
 * <p><b>No JVM-wide lock on the inbound DATA path.</b> What {@code FrameCodecDataAdvice} needs to know for each DATA
 * frame is "is this stream of this connection deferred?". The common answer — nothing is deferred anywhere — costs one
 * volatile read ({@link #anyDeferred()}). Otherwise the connection's state is found in a {@link ConcurrentHashMap}
 * keyed by the connection's identity (lock-free read; the entry only exists while the connection has a live deferral
 * and is removed with its last one), and only a connection with deferrals takes its own lock. The keys hold the
 * connection weakly, so nothing here keeps a connection alive; a collected connection's entry goes when its deferrals
 * reach their time bound.
 *
 * <p>This class may not name Netty types (it is on the bootstrap path, shared by plain and relocated Netty). Sending
 * the reset at the bound uses the library's own public {@code resetStream(ctx, streamId, errorCode, promise)} by
 * reflection (looked up once per handler class through its public interfaces), so it goes through the same path, and
 * the same advice, as the application's reset. The advice recognises the call with {@link #firing(Object, int)}. A
 * {@link Deferral} holds the library objects (connection, handler, context) only weakly.
 */
public final class DeferredResets {

    /** At most this many deferred resets per connection; beyond it, resets are sent at once (with NO_ERROR). */
    public static final int MAX_PER_CONNECTION = 100;

    /** {@link #discard}: the stream is not deferred; the frame goes to the application as usual. */
    public static final int NOT_DEFERRED = 0;
    /** {@link #discard}: the frame belongs to a deferred stream and is dropped (its window returned). */
    public static final int DISCARDED = 1;
    /** {@link #discard}: the client's END_STREAM: the stream closes normally, the reset is never sent. */
    public static final int ENDED = 2;

    /** {@link #firing}: not a call made by a deferral. */
    public static final int NOT_FIRING = 0;
    /** {@link #firing}: the time bound passed. */
    public static final int FIRING_TIMEOUT = 1;
    /** {@link #firing}: the client sent more than the byte bound. */
    public static final int FIRING_BYTES = 2;

    /** {@link #onReset}: the reset goes out as asked. */
    public static final int SEND = 0;
    /** {@link #onReset}: the reset goes out now, with NO_ERROR instead of the code asked for. */
    public static final int SEND_NO_ERROR = 1;
    /** {@link #onReset}: no reset is written (held back, or no longer needed); its promise succeeds. */
    public static final int SKIP = 2;

    /** Connection (by identity, held weakly) → its deferrals; an entry exists only while it has a live one. */
    private static final ConcurrentHashMap<Object, Connection> CONNECTIONS = new ConcurrentHashMap<Object, Connection>();

    /** Deferrals begun and not yet finished, over all connections. */
    private static final AtomicInteger LIVE = new AtomicInteger();

    private static final ThreadLocal<Deferral> FIRING = new ThreadLocal<Deferral>();


    private static final ClassValue<Method[]> RESET_METHODS = new ClassValue<Method[]>() {
        @Override
        protected Method[] computeValue(Class<?> handlerType) {
            return resetMethods(handlerType);
        }
    };

    private DeferredResets() {
    }

    /** Whether any reset is deferred, or being sent by a deferral, anywhere in this JVM: one volatile read. */
    public static boolean anyDeferred() {
        return LIVE.get() > 0;
    }

    /**
     * The decision for a reset asked for on a stream of a server connection (Netty's
     * {@code Http2ConnectionHandler.resetStream}; the advice reads the values, this decides, the advice acts):
     * <ul>
     *   <li>the response is not complete (the stream is not HALF_CLOSED_LOCAL): {@link #SEND} — a real abort — unless
     *       this is a deferral's own reset at its bound for a stream that is gone meanwhile (the client ended or reset
     *       it): {@link #SKIP};</li>
     *   <li>a code that {@link ProxySafeReset#changes} leaves alone (the client's fault, a reset already sent, report
     *       mode): {@link #SEND};</li>
     *   <li>a deferral's own reset at its bound: {@link #SEND_NO_ERROR}, counted by bound (time or bytes);</li>
     *   <li>already held back, or now held back ({@link #defer}, for {@code resetDeferMillis}) when
     *       {@code handler} is given (the caller can discard the stream's inbound DATA): {@link #SKIP}, counted as
     *       {@code proxy-safe-reset.deferred};</li>
     *   <li>otherwise sent at once ({@link ProxySafeReset#codeSentAtOnce}): {@link #SEND_NO_ERROR}, or {@link #SEND}
     *       when the code already is NO_ERROR.</li>
     * </ul>
     *
     * @param responseComplete whether the stream is HALF_CLOSED_LOCAL: its END_STREAM already handed to the channel
     * @param resetSent whether the library already sent a reset on the stream
     * @param handler the connection handler when its streams' resets may be held back (see {@link #defer}), else null
     * @param ctx that handler's context
     * @param loop the connection's event loop (unused when {@code handler} is null)
     */
    public static int onReset(Object connection, int streamId, long errorCode, boolean responseComplete,
                              boolean resetSent, Object handler, Object ctx, ScheduledExecutorService loop) {
        if (!responseComplete) {
            return anyDeferred() && firing(connection, streamId) != NOT_FIRING ? SKIP : SEND;
        }
        if (!ProxySafeReset.changes(errorCode, resetSent)) {
            return SEND;
        }
        int firing = firing(connection, streamId);
        if (firing != NOT_FIRING) {
            Counters.increment(firing == FIRING_BYTES
                    ? Counters.PROXY_SAFE_RESET_DEFERRED_BYTES : Counters.PROXY_SAFE_RESET_DEFERRED_TIMEOUT);
            return SEND_NO_ERROR;
        }
        long millis = H2patchRuntime.resetDeferMillis;
        if (isDeferred(connection, streamId)
                || handler != null && defer(connection, streamId, handler, ctx, loop, millis)) {
            if (!isDeferred(connection, streamId)) {
                return SEND; // the deferral already ended again (its loop refused it): as before, unchanged
            }
            Counters.increment(Counters.PROXY_SAFE_RESET_DEFERRED);
            return SKIP;
        }
        return ProxySafeReset.codeSentAtOnce(errorCode) == errorCode ? SEND : SEND_NO_ERROR;
    }

    /**
     * Holds back the reset of {@code streamId} on {@code connection}; at {@code millis} it is handed to {@code loop}
     * and sent. Returns false, deferring nothing, when the connection already has {@link #MAX_PER_CONNECTION}
     * deferred resets, the stream is already deferred, or the loop is shutting down.
     *
     * @param handler the library's connection handler, which has a public {@code resetStream(ctx, int, long,
     *     promise)}
     * @param ctx that handler's context
     */
    public static boolean defer(Object connection, int streamId, Object handler, Object ctx,
                                ScheduledExecutorService loop, long millis) {
        if (RESET_METHODS.get(handler.getClass()) == null || loop.isShutdown()) {
            return false;
        }
        Deferral deferral;
        for (;;) {
            Connection state = ConnectionEntry.of(CONNECTIONS, connection, Connection.FACTORY);
            synchronized (state) {
                if (state.removed) {
                    continue; // its last deferral just ended: start a new entry
                }
                if (state.streams.size() >= MAX_PER_CONNECTION || state.streams.containsKey(streamId)) {
                    state.removeIfEmpty();
                    return false;
                }
                deferral = new Deferral(state, connection, streamId, handler, ctx, loop);
                state.streams.put(streamId, deferral);
                LIVE.incrementAndGet();
            }
            break;
        }
        try {
            Future<?> timer = TIMER.get().schedule(deferral.deadline, Math.max(0, millis), TimeUnit.MILLISECONDS);
            synchronized (deferral.state) {
                deferral.timer = timer;
            }
        } catch (RuntimeException rejected) {
            deferral.finish();
            return false;
        }
        return true;
    }

    /** Whether the reset of {@code streamId} on {@code connection} is being held back. */
    public static boolean isDeferred(Object connection, int streamId) {
        if (LIVE.get() == 0) {
            return false;
        }
        Connection state = CONNECTIONS.get(new WeakIdentityKey.Probe(connection));
        if (state == null) {
            return false;
        }
        synchronized (state) {
            return state.streams.containsKey(streamId);
        }
    }

    /**
     * Inbound request data ({@code bytes}, padding included) or the request's END_STREAM for {@code streamId}. For a
     * deferred stream, the caller drops the frame and returns its bytes to flow control; past the byte bound the
     * reset is sent (later on the loop, never from inside the caller's frame handling).
     *
     * @return {@link #NOT_DEFERRED}, {@link #DISCARDED} or {@link #ENDED}
     */
    public static int discard(Object connection, int streamId, long bytes, boolean endOfStream) {
        if (LIVE.get() == 0) {
            return NOT_DEFERRED;
        }
        Connection state = CONNECTIONS.get(new WeakIdentityKey.Probe(connection));
        if (state == null) {
            return NOT_DEFERRED;
        }
        Deferral deferral;
        synchronized (state) {
            deferral = state.streams.get(streamId);
            if (deferral == null) {
                return NOT_DEFERRED;
            }
            if (deferral.reason != NOT_FIRING) {
                return DISCARDED; // the reset is on its way
            }
            if (!endOfStream) {
                deferral.bytes += bytes;
                if (deferral.bytes <= H2patchRuntime.resetDeferBytes) {
                    return DISCARDED;
                }
                deferral.reason = FIRING_BYTES;
            }
        }
        if (endOfStream) {
            if (deferral.finish()) {
                Counters.increment(Counters.PROXY_SAFE_RESET_AVOIDED);
            }
            return ENDED;
        }
        deferral.cancelTimer();
        try {
            deferral.loop.execute(deferral);
        } catch (RuntimeException rejected) {
            deferral.finish();
        }
        return DISCARDED;
    }

    /**
     * Why the calling thread is sending the reset of {@code streamId} on {@code connection} right now:
     * {@link #FIRING_TIMEOUT}, {@link #FIRING_BYTES}, or {@link #NOT_FIRING} when the call is not a deferral's.
     */
    public static int firing(Object connection, int streamId) {
        if (LIVE.get() == 0) {
            return NOT_FIRING;
        }
        Deferral deferral = FIRING.get();
        if (deferral == null || deferral.streamId != streamId || deferral.connection.get() != connection) {
            return NOT_FIRING;
        }
        return deferral.reason;
    }

    /** For tests: how many connections have state here. */
    static int connectionsTracked() {
        return CONNECTIONS.size();
    }

    /** For tests: how many deferrals are live. */
    static int live() {
        return LIVE.get();
    }

    /**
     * The time bounds' timer thread. Cancelled timers are not removed from its queue at once: cancelling is then a
     * lock-free state change, so the client's END_STREAM on a DATA frame never takes the queue's lock; a cancelled
     * timer leaves the queue at its bound, doing nothing.
     */
    private static final AgentTimer TIMER = new AgentTimer("h2patch-reset-timer", false);

    /** {@code {resetStream, ctx.newPromise, ctx.flush}} for a handler type, or null if it has no such method. */
    private static Method[] resetMethods(Class<?> handlerType) {
        try {
            for (Method method : handlerType.getMethods()) {
                Class<?>[] parameters = method.getParameterTypes();
                if (method.getName().equals("resetStream") && parameters.length == 4
                        && parameters[1] == int.class && parameters[2] == long.class
                        && parameters[0].isInterface()) {
                    // Through the public ChannelHandlerContext interface: the context classes are package-private.
                    Method newPromise = parameters[0].getMethod("newPromise");
                    Method flush = parameters[0].getMethod("flush");
                    return new Method[] {method, newPromise, flush};
                }
            }
        } catch (Exception e) {
            // No usable method: nothing is deferred for this handler type.
        }
        return null;
    }

    /** One connection's deferrals. Guarded by itself. */
    private static final class Connection extends ConnectionEntry {
        static final Factory<Connection> FACTORY = new Factory<Connection>() {
            @Override
            public Connection make(Object connection) {
                return new Connection(connection);
            }
        };

        final Map<Integer, Deferral> streams = new HashMap<Integer, Deferral>();

        Connection(Object connection) {
            super(connection, CONNECTIONS);
        }

        @Override
        protected boolean isEmpty() {
            return streams.isEmpty();
        }
    }

    /** One held-back reset; its reset runs on the connection's event loop. */
    static final class Deferral implements Runnable {
        final Connection state;
        final WeakReference<Object> connection;
        final int streamId;
        final WeakReference<Object> handler;
        final WeakReference<Object> ctx;
        final ScheduledExecutorService loop;
        final Runnable deadline = new Runnable() {
            @Override
            public void run() {
                atDeadline();
            }
        };
        /** Guarded by {@link #state}. */
        Future<?> timer;
        /** Guarded by {@link #state}. */
        long bytes;
        /** Guarded by {@link #state}; set once the reset is to be sent. */
        int reason;
        /** Guarded by {@link #state}; set once, by {@link #finish}. */
        boolean finished;

        Deferral(Connection state, Object connection, int streamId, Object handler, Object ctx,
                 ScheduledExecutorService loop) {
            this.state = state;
            this.connection = new WeakReference<Object>(connection);
            this.streamId = streamId;
            this.handler = new WeakReference<Object>(handler);
            this.ctx = new WeakReference<Object>(ctx);
            this.loop = loop;
        }

        /**
         * Ends this deferral, once: it leaves its connection's state (and the connection's entry goes with its last
         * deferral), its timer is cancelled, the live count comes down. Returns false if it had already ended.
         */
        boolean finish() {
            Future<?> pending;
            synchronized (state) {
                if (finished) {
                    return false;
                }
                finished = true;
                pending = timer;
                timer = null;
                if (state.streams.get(streamId) == this) {
                    state.streams.remove(streamId);
                }
                state.removeIfEmpty();
            }
            LIVE.decrementAndGet();
            if (pending != null) {
                pending.cancel(false);
            }
            return true;
        }

        void cancelTimer() {
            Future<?> pending;
            synchronized (state) {
                pending = timer;
                timer = null;
            }
            if (pending != null) {
                pending.cancel(false);
            }
        }

        /** On the timer thread: the time bound passed. Hands the reset to the loop, or ends the deferral here. */
        void atDeadline() {
            synchronized (state) {
                timer = null;
                if (finished || reason != NOT_FIRING) {
                    return; // ended meanwhile, or already firing for the byte bound
                }
                reason = FIRING_TIMEOUT;
            }
            if (connection.get() == null || handler.get() == null || ctx.get() == null || loop.isShutdown()) {
                finish(); // nothing left to reset: the connection is gone or its loop is stopping
                return;
            }
            try {
                loop.execute(this);
            } catch (Throwable rejected) {
                finish();
            }
        }

        /** On the connection's event loop: sends the held-back reset, then ends the deferral. */
        @Override
        public void run() {
            synchronized (state) {
                if (finished) {
                    return; // ended normally in the meantime
                }
            }
            Object handlerObject = handler.get();
            Object context = ctx.get();
            try {
                if (handlerObject != null && context != null) {
                    Method[] methods = RESET_METHODS.get(handlerObject.getClass());
                    if (methods != null) {
                        FIRING.set(this);
                        try {
                            Object promise = methods[1].invoke(context);
                            methods[0].invoke(handlerObject, context, streamId, 0L, promise);
                            methods[2].invoke(context);
                        } finally {
                            FIRING.remove();
                        }
                    }
                }
            } catch (Throwable ignored) {
                // The connection went away meanwhile; its streams are closed with it.
            } finally {
                finish();
            }
        }
    }

    /**
     * On detach: every reset still held back is sent now, each on its connection's event loop (its timer cancelled,
     * RST_STREAM(NO_ERROR) as at its time bound), and the timer thread ends, so nothing of proxy-safe-reset is left
     * pending in the JVM. Never blocks: the caller (the attach listener) only queues the tasks. A loop that refuses
     * the task is shutting down and closes the connection itself; the deferral ends here then.
     */
    public static void stop() {
        List<Deferral> pending = new ArrayList<Deferral>();
        for (Connection state : CONNECTIONS.values()) {
            synchronized (state) {
                pending.addAll(state.streams.values());
            }
        }
        for (Deferral deferral : pending) {
            deferral.cancelTimer();
            synchronized (deferral.state) {
                if (deferral.reason == NOT_FIRING) {
                    deferral.reason = FIRING_TIMEOUT; // sent as at its time bound, not held back again
                }
            }
            try {
                deferral.loop.execute(deferral);
            } catch (Throwable refused) {
                deferral.finish();
            }
        }
        TIMER.stop();
    }
}
