package dev.h2patch.bootstrap;

import java.lang.ref.WeakReference;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * connection-state: drains the HTTP/2 server connections of an event loop group before the group shuts down
 * (docs/fixes/connection-state.md).
 *
 * <p>Why: {@code EventLoopGroup.shutdownGracefully()} closes every channel through {@code unsafe().close()}, which
 * bypasses the pipeline, so {@code Http2ConnectionHandler.close} never runs: no GOAWAY (RFC 9113 §6.8), in-flight
 * streams are cut, and replies the application scheduled on the loop are cancelled with the loop's scheduled tasks.
 * The same loops must still run while the streams finish, so the connections are drained <em>before</em> the group
 * starts shutting down:
 * <ol>
 *   <li>{@link #track} (advice on {@code Http2ConnectionHandler.handlerAdded}) remembers each HTTP/2 server
 *       connection with the group of its event loop: event loops do not expose their channels;</li>
 *   <li>{@link #beforeShutdown} (advice on {@code MultithreadEventExecutorGroup.shutdownGracefully(long, long,
 *       TimeUnit)}) returns false — the call goes ahead untouched — when the group serves no open HTTP/2 server
 *       connection. Otherwise the call is skipped (the caller gets the group's termination future) and a drain thread
 *       closes each connection through its pipeline ({@code channel.close()} → {@code Http2ConnectionHandler.close}:
 *       GOAWAY(NO_ERROR) with the last stream id, new streams ignored per §6.8, close once no stream is active),
 *       raising a handler's own graceful timeout to the bound when it is shorter (0 ms for a handler constructed
 *       directly);</li>
 *   <li>once every such connection has closed, or the bound has passed, the drain thread makes the real call, with
 *       what is left of the caller's timeout (so the whole shutdown still ends within it); {@link #beforeShutdown}
 *       lets that call through.</li>
 * </ol>
 *
 * <p>The bound is the caller's {@code timeout}, capped by {@link H2patchRuntime#shutdownDrainMillis} (option
 * {@code shutdown-drain-ms}), so the whole shutdown still ends within the caller's timeout and an operator can keep it
 * inside a container's grace period. A caller that gave no timeout ({@code shutdownGracefully(0, 0, unit)}: Netty
 * requires {@code timeout >= quietPeriod}, so its quiet period is 0 too) asked for "now" and gets exactly Netty's own
 * behaviour: the drain lasts no longer than the quiet period the application gave, which is none, so there is no
 * drain. Nothing here blocks an event loop or the caller: the drain waits on its own daemon
 * thread. Library calls ({@code close}, {@code connection().numActiveStreams()}, the graceful timeout, the real
 * {@code shutdownGracefully}) go through public methods by reflection: this class may not name Netty types (it serves
 * plain and relocated Netty alike). Library objects are held weakly; a connection that goes away leaves nothing
 * behind.
 */
public final class ConnectionDrain {

    /** How often the drain thread looks at the connections' close futures. */
    public static final long POLL_MILLIS = 20;

    /** Channel (weak key) → what the drain needs about it. */
    private static final Map<Object, Tracked> CONNECTIONS = new WeakHashMap<Object, Tracked>();

    /** Groups being drained (value false) or released to the real shutdown (true). */
    private static final Map<Object, Boolean> GROUPS = new WeakHashMap<Object, Boolean>();

    private static final ThreadLocal<Object> RELEASING = new ThreadLocal<Object>();

    private ConnectionDrain() {
    }

    /**
     * Remembers an HTTP/2 server connection: its channel, its {@code Http2ConnectionHandler}, the group of its event
     * loop and its close future. Called once per connection, from its event loop.
     */
    public static void track(Object channel, Object handler, Object group, Future<?> closeFuture) {
        Tracked tracked = new Tracked(handler, group, closeFuture);
        synchronized (CONNECTIONS) {
            CONNECTIONS.put(channel, tracked);
        }
    }

    /**
     * Called on entry to {@code shutdownGracefully(quietPeriod, timeout, unit)}. Returns true when the call must be
     * skipped (a drain started, or is already under way, for this group); false to let it run as usual.
     */
    public static boolean beforeShutdown(Object group, long quietPeriod, long timeout, TimeUnit unit) {
        if (RELEASING.get() == group || unit == null || quietPeriod < 0 || timeout < quietPeriod) {
            return false; // our own call, or arguments Netty rejects itself
        }
        long timeoutMillis = unit.toMillis(timeout);
        if (timeoutMillis <= 0) {
            return false; // shutdownGracefully(0, 0, unit): the application asked for "now"; no drain (see above)
        }
        List<Object[]> open = new ArrayList<Object[]>();
        synchronized (GROUPS) {
            Boolean released = GROUPS.get(group);
            if (released != null) {
                return !released; // a second call while draining gets the same termination future
            }
            synchronized (CONNECTIONS) {
                for (Iterator<Map.Entry<Object, Tracked>> it = CONNECTIONS.entrySet().iterator(); it.hasNext(); ) {
                    Map.Entry<Object, Tracked> entry = it.next();
                    Tracked tracked = entry.getValue();
                    Future<?> closeFuture = tracked.closeFuture.get();
                    if (closeFuture == null || closeFuture.isDone()) {
                        it.remove();
                        continue;
                    }
                    if (tracked.group.get() == group) {
                        open.add(new Object[] {entry.getKey(), tracked.handler.get(), closeFuture});
                    }
                }
            }
            if (open.isEmpty()) {
                return false;
            }
            if (H2patchRuntime.reportsOnly(Counters.CONNECTION_STATE_WOULD_CHANGE)) {
                return false;
            }
            GROUPS.put(group, Boolean.FALSE);
        }
        long bound = Math.min(timeoutMillis, H2patchRuntime.shutdownDrainMillis);
        Drain drain = new Drain(group, open, quietPeriod, timeout, unit, bound);
        // Its own thread, free of the caller's context (AgentThreads); it ends when the drain does, at the latest at
        // the bound, detach or not: the application's shutdown call depends on it.
        AgentThreads.newThread(drain, "h2patch-drain").start();
        return true;
    }

    private static final class Tracked {
        final WeakReference<Object> handler;
        final WeakReference<Object> group;
        final WeakReference<Future<?>> closeFuture;

        Tracked(Object handler, Object group, Future<?> closeFuture) {
            this.handler = new WeakReference<Object>(handler);
            this.group = new WeakReference<Object>(group);
            this.closeFuture = new WeakReference<Future<?>>(closeFuture);
        }
    }

    /** One group's drain, on its own daemon thread. */
    private static final class Drain implements Runnable {
        private final WeakReference<Object> group;
        private List<Object[]> connections;
        private final long quietPeriod;
        private final long timeout;
        private final TimeUnit unit;
        private final long bound;

        Drain(Object group, List<Object[]> connections, long quietPeriod, long timeout, TimeUnit unit, long bound) {
            this.group = new WeakReference<Object>(group);
            this.connections = connections;
            this.quietPeriod = quietPeriod;
            this.timeout = timeout;
            this.unit = unit;
            this.bound = bound;
        }

        @Override
        public void run() {
            long start = System.nanoTime();
            List<Future<?>> closing = new ArrayList<Future<?>>();
            for (Object[] connection : connections) {
                closing.add((Future<?>) connection[2]);
                try {
                    startGracefulClose(connection[0], connection[1]);
                } catch (Throwable ignored) {
                    // The real shutdown closes it anyway.
                }
            }
            connections = null;
            boolean timedOut = false;
            try {
                while (!allDone(closing)) {
                    if (System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(bound)) {
                        timedOut = true;
                        break;
                    }
                    Thread.sleep(POLL_MILLIS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (timedOut) {
                Counters.increment(Counters.CONNECTION_STATE_DRAIN_TIMEOUT);
            }
            closing.clear();
            Object target = group.get();
            if (target != null) {
                release(target, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            }
        }

        private void startGracefulClose(Object channel, Object handler) throws Exception {
            if (handler != null) {
                Object connection = invoke(handler, "connection");
                Object active = connection == null ? null : invoke(connection, "numActiveStreams");
                if (active instanceof Integer) {
                    for (int i = 0; i < (Integer) active; i++) {
                        Counters.increment(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN);
                    }
                }
                Object own = invoke(handler, "gracefulShutdownTimeoutMillis");
                if (own instanceof Long && (Long) own >= 0 && (Long) own < bound) {
                    Method setter = publicMethod(handler.getClass(), "gracefulShutdownTimeoutMillis", long.class);
                    setter.invoke(handler, bound);
                }
            }
            invoke(channel, "close"); // through the pipeline, unlike the loop's own unsafe().close()
        }

        /** The real call, with what is left of the caller's timeout (the caller's values when it gave none). */
        private void release(Object target, long elapsedMillis) {
            long quietMillis = unit.toMillis(quietPeriod);
            long timeoutMillis = unit.toMillis(timeout);
            long newTimeout = timeoutMillis;
            long newQuiet = quietMillis;
            if (timeoutMillis > 0) {
                newTimeout = Math.max(0, timeoutMillis - elapsedMillis);
                newQuiet = Math.min(quietMillis, newTimeout);
            }
            synchronized (GROUPS) {
                GROUPS.put(target, Boolean.TRUE);
            }
            new Release(target, newQuiet, newTimeout).run();
        }

        private static boolean allDone(List<Future<?>> futures) {
            for (Future<?> future : futures) {
                if (!future.isDone()) {
                    return false;
                }
            }
            return true;
        }
    }

    /** The real {@code shutdownGracefully} call, let through by {@link #beforeShutdown}. */
    private static final class Release implements Runnable {
        private final Object group;
        private final long quietMillis;
        private final long timeoutMillis;

        Release(Object group, long quietMillis, long timeoutMillis) {
            this.group = group;
            this.quietMillis = quietMillis;
            this.timeoutMillis = timeoutMillis;
        }

        @Override
        public void run() {
            RELEASING.set(group);
            try {
                publicMethod(group.getClass(), "shutdownGracefully", long.class, long.class, TimeUnit.class)
                        .invoke(group, quietMillis, timeoutMillis, TimeUnit.MILLISECONDS);
            } catch (Throwable ignored) {
                // Nothing else to try: the application may still call shutdownGracefully again.
            } finally {
                RELEASING.remove();
            }
        }
    }

    private static Object invoke(Object target, String name) throws Exception {
        return publicMethod(target.getClass(), name).invoke(target);
    }

    /**
     * The public method {@code name}, looked up where it is accessible: implementation classes may be
     * package-private (grpc-java's handlers), so the declaring public class or interface is searched.
     */
    public static Method publicMethod(Class<?> type, String name, Class<?>... parameters) throws NoSuchMethodException {
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            Method found = accessible(c, name, parameters);
            if (found != null) {
                return found;
            }
        }
        Method method = type.getMethod(name, parameters);
        method.setAccessible(true);
        return method;
    }

    private static Method accessible(Class<?> c, String name, Class<?>[] parameters) {
        if (Modifier.isPublic(c.getModifiers())) {
            try {
                Method method = c.getMethod(name, parameters);
                if (Modifier.isPublic(method.getDeclaringClass().getModifiers())) {
                    return method;
                }
            } catch (NoSuchMethodException ignored) {
                // Look further up.
            }
        }
        for (Class<?> i : c.getInterfaces()) {
            Method found = accessible(i, name, parameters);
            if (found != null) {
                return found;
            }
        }
        return null;
    }
}
