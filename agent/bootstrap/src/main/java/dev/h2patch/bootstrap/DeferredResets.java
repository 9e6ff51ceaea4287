package dev.h2patch.bootstrap;

import java.lang.ref.WeakReference;
import java.lang.reflect.Method;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The resets the proxy-safe-reset fix holds back: streams whose response is complete, whose application asked for a
 * reset, and whose client is still sending its request.
 *
 * <p>Why hold them back at all: RFC 9113 §8.1 lets a server that has sent a complete response stop the client's upload
 * with RST_STREAM(NO_ERROR), but HAProxy (2.3 … 2.6, {@code h2_do_shutr}) turns any such server reset into
 * RST_STREAM(CANCEL) towards its client, and gRPC clients then report CANCELLED instead of the status they already
 * received (seed 004). Only a reset that is never sent survives the proxy. So the reset waits, bounded by
 * {@link H2patchRuntime#resetDeferMillis} and {@link H2patchRuntime#resetDeferBytes}: if the client's END_STREAM comes
 * first, the stream closes normally and no reset is ever sent ({@link #discard} returns {@link #ENDED}); otherwise the
 * reset is sent with NO_ERROR by {@link Deferral#run()} at the bound.
 *
 * <p>State lives here, keyed weakly by the connection's channel, rather than in Netty channel attributes or stream
 * properties: this class may not name Netty types (it is on the bootstrap path, shared by plain and relocated Netty),
 * a {@code PropertyKey} is per connection and would need its own per-connection map anyway, and a weak map leaves
 * nothing behind when a connection goes away. A {@link Deferral} holds the library objects it needs (the handler and
 * its context) only weakly, so the map's values never keep its keys alive.
 *
 * <p>Sending the reset at the bound uses the library's own public {@code resetStream(ctx, streamId, errorCode,
 * promise)} by reflection (looked up once per handler class through its public interfaces), so it goes through the
 * same path, and the same advice, as the application's reset. The advice recognises the call with
 * {@link #firing(Object, int)}.
 *
 * <p>All calls for one connection come from its event loop; the lock only guards the map shared by all loops. The
 * hot paths check {@link #anyDeferred()}, a volatile read, and skip everything else while nothing is deferred.
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

    private static final Map<Object, Map<Integer, Deferral>> BY_CONNECTION =
            new WeakHashMap<Object, Map<Integer, Deferral>>();

    /** Deferred resets over all connections (those of collected connections excepted). */
    private static volatile int count;

    private static final ThreadLocal<Deferral> FIRING = new ThreadLocal<Deferral>();

    private static final ClassValue<Method[]> RESET_METHODS = new ClassValue<Method[]>() {
        @Override
        protected Method[] computeValue(Class<?> handlerType) {
            return resetMethods(handlerType);
        }
    };

    private DeferredResets() {
    }

    /** Whether any reset is deferred, or being sent by a deferral, anywhere in this JVM. */
    public static boolean anyDeferred() {
        return count > 0;
    }

    /**
     * Holds back the reset of {@code streamId} on {@code connection}, and schedules it on {@code loop} after
     * {@code millis}. Returns false, deferring nothing, when the connection already has {@link #MAX_PER_CONNECTION}
     * deferred resets, the stream is already deferred, or the loop refuses the task (shutting down).
     *
     * @param handler the library's connection handler, which has a public {@code resetStream(ctx, int, long,
     *     promise)}
     * @param ctx that handler's context
     */
    public static boolean defer(Object connection, int streamId, Object handler, Object ctx,
                                ScheduledExecutorService loop, long millis) {
        if (RESET_METHODS.get(handler.getClass()) == null) {
            return false;
        }
        Deferral deferral = new Deferral(connection, streamId, handler, ctx, loop);
        synchronized (BY_CONNECTION) {
            Map<Integer, Deferral> streams = BY_CONNECTION.get(connection);
            if (streams == null) {
                streams = new HashMap<Integer, Deferral>();
                BY_CONNECTION.put(connection, streams);
            }
            if (streams.size() >= MAX_PER_CONNECTION || streams.containsKey(streamId)) {
                return false;
            }
            try {
                deferral.timer = loop.schedule(deferral, millis, TimeUnit.MILLISECONDS);
            } catch (RuntimeException rejected) {
                return false;
            }
            streams.put(streamId, deferral);
            count++;
        }
        return true;
    }

    /** Whether the reset of {@code streamId} on {@code connection} is being held back. */
    public static boolean isDeferred(Object connection, int streamId) {
        if (count == 0) {
            return false;
        }
        synchronized (BY_CONNECTION) {
            Map<Integer, Deferral> streams = BY_CONNECTION.get(connection);
            return streams != null && streams.containsKey(streamId);
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
        if (count == 0) {
            return NOT_DEFERRED;
        }
        Deferral deferral;
        synchronized (BY_CONNECTION) {
            Map<Integer, Deferral> streams = BY_CONNECTION.get(connection);
            deferral = streams == null ? null : streams.get(streamId);
            if (deferral == null) {
                return NOT_DEFERRED;
            }
            if (deferral.reason != NOT_FIRING) {
                return DISCARDED; // the reset is on its way
            }
            if (endOfStream) {
                streams.remove(streamId);
                count--;
                Future<?> timer = deferral.timer;
                if (timer != null) {
                    timer.cancel(false);
                }
                Counters.increment(Counters.PROXY_SAFE_RESET_AVOIDED);
                return ENDED;
            }
            deferral.bytes += bytes;
            if (deferral.bytes <= H2patchRuntime.resetDeferBytes) {
                return DISCARDED;
            }
            deferral.reason = FIRING_BYTES;
            Future<?> timer = deferral.timer;
            if (timer != null) {
                timer.cancel(false);
            }
        }
        try {
            deferral.loop.execute(deferral);
        } catch (RuntimeException rejected) {
            forget(deferral);
        }
        return DISCARDED;
    }

    /**
     * Why the calling thread is sending the reset of {@code streamId} on {@code connection} right now:
     * {@link #FIRING_TIMEOUT}, {@link #FIRING_BYTES}, or {@link #NOT_FIRING} when the call is not a deferral's.
     */
    public static int firing(Object connection, int streamId) {
        if (count == 0) {
            return NOT_FIRING;
        }
        Deferral deferral = FIRING.get();
        if (deferral == null || deferral.streamId != streamId || deferral.connection.get() != connection) {
            return NOT_FIRING;
        }
        return deferral.reason;
    }

    private static void forget(Deferral deferral) {
        synchronized (BY_CONNECTION) {
            Object connection = deferral.connection.get();
            Map<Integer, Deferral> streams = connection == null ? null : BY_CONNECTION.get(connection);
            if (streams != null && streams.get(deferral.streamId) == deferral) {
                streams.remove(deferral.streamId);
                count--;
                if (streams.isEmpty()) {
                    BY_CONNECTION.remove(connection);
                }
            }
        }
    }

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

    /** One held-back reset; runs on the connection's event loop at the bound. */
    static final class Deferral implements Runnable {
        final WeakReference<Object> connection;
        final int streamId;
        final WeakReference<Object> handler;
        final WeakReference<Object> ctx;
        final ScheduledExecutorService loop;
        /** Guarded by the map's lock. */
        Future<?> timer;
        /** Guarded by the map's lock. */
        long bytes;
        /** Guarded by the map's lock; set once the reset is to be sent. */
        int reason;

        Deferral(Object connection, int streamId, Object handler, Object ctx, ScheduledExecutorService loop) {
            this.connection = new WeakReference<Object>(connection);
            this.streamId = streamId;
            this.handler = new WeakReference<Object>(handler);
            this.ctx = new WeakReference<Object>(ctx);
            this.loop = loop;
        }

        @Override
        public void run() {
            synchronized (BY_CONNECTION) {
                Object key = connection.get();
                Map<Integer, Deferral> streams = key == null ? null : BY_CONNECTION.get(key);
                if (streams == null || streams.get(streamId) != this) {
                    return; // ended normally in the meantime
                }
                if (reason == NOT_FIRING) {
                    reason = FIRING_TIMEOUT;
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
                forget(this);
            }
        }
    }

    /**
     * On detach: every reset still held back is sent now, each on its connection's event loop (its timer cancelled,
     * the deferral run at once, RST_STREAM(NO_ERROR) as at its time bound), so nothing of proxy-safe-reset is left
     * pending in the JVM. Never blocks: the caller (the attach listener) only queues the tasks. A loop that refuses
     * the task is shutting down and closes the connection itself.
     */
    public static void stop() {
        java.util.List<Deferral> pending = new java.util.ArrayList<Deferral>();
        synchronized (BY_CONNECTION) {
            for (Map<Integer, Deferral> streams : BY_CONNECTION.values()) {
                pending.addAll(streams.values());
            }
        }
        for (Deferral deferral : pending) {
            Future<?> timer;
            synchronized (BY_CONNECTION) {
                timer = deferral.timer;
            }
            try {
                if (timer != null) {
                    timer.cancel(false);
                }
                deferral.loop.execute(deferral);
            } catch (Throwable refused) {
                // A loop shutting down: the connection is closed with it.
            }
        }
    }
}
