package dev.h2patch.bootstrap.jetty;

import dev.h2patch.bootstrap.ConnectionDrain;
import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import dev.h2patch.bootstrap.IdleDeferral;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * connection-state for Jetty (all lines): the helpers behind the inlined advice (docs/fixes/connection-state.md).
 *
 * <ul>
 *   <li>{@link #deferIdle}: an idle timeout of a closing {@code HTTP2Session} (GOAWAY sent or received) that still has
 *       streams is held back — Jetty would otherwise reset every stream, quiet or not, {@code shutdownIdleTimeout}
 *       (1 s) after the graceful GOAWAY of a server stop. Bounded per session by {@code shutdown-drain-ms} from the
 *       first deferral and by {@code idle-defer-max-ms} in total (the idle periods held back, plus the one that
 *       would be next, never exceed it); the server's own stop timeout closes the connectors earlier anyway.</li>
 *   <li>{@link #terminateAfterWrite}: once the last stream of a closing session has ended and Jetty has queued its
 *       final GOAWAY, the connection is closed as soon as that frame is written (through the session's own
 *       {@code onIdleTimeout()}, which Jetty would otherwise call one idle period later), instead of lingering.</li>
 *   <li>{@link #awaitSessions} (Jetty 9.4): the connector's graceful-shutdown future, extended until the HTTP/2
 *       sessions that were sent a graceful GOAWAY have no stream left, so that {@code Server.doStop} waits for them
 *       within its stop timeout before it stops the connectors.</li>
 * </ul>
 *
 * <p>This class may not name Jetty types (it is shared by every Jetty line): library calls go through public methods
 * by reflection, on rare paths only (an idle timeout, a connection's last GOAWAY, a server stop). Sessions are held
 * weakly.
 */
public final class JettyDrain {

    /** Session (weak key) → {nanoTime of the first deferred idle timeout, milliseconds held back so far}. */
    private static final Map<Object, long[]> DEFERRED = new WeakHashMap<Object, long[]>();

    private JettyDrain() {
    }

    /**
     * At {@code HTTP2Session.onIdleTimeout()}: whether the idle timeout is ignored (the advice skips the method, which
     * returns false; Jetty re-arms it), or false to let Jetty fail the streams and close as before. Only a closing
     * session ({@code closeState}, the name of its {@code CloseState}: LOCALLY_CLOSED after a GOAWAY was sent,
     * REMOTELY_CLOSED after one was received) that still has {@code streams}; a NOT_CLOSED session is left to Jetty
     * (which asks the server listener, closing only if every stream is idle). {@code periodMillis} is the endpoint's
     * idle timeout: holding the timeout back delays Jetty's next check by that much.
     */
    public static boolean deferIdle(Object session, String closeState, int streams, long periodMillis) {
        if (!"LOCALLY_CLOSED".equals(closeState) && !"REMOTELY_CLOSED".equals(closeState) || streams == 0) {
            return false;
        }
        if (H2patchRuntime.reportsOnly(Counters.CONNECTION_STATE_WOULD_CHANGE)) {
            return false;
        }
        long now = System.nanoTime();
        synchronized (DEFERRED) {
            long[] first = DEFERRED.get(session);
            long period = Math.max(0, periodMillis);
            if (first == null) {
                if (!IdleDeferral.withinCap(0, period)) {
                    Counters.increment(Counters.CONNECTION_STATE_IDLE_CAPPED);
                    return false;
                }
                DEFERRED.put(session, new long[] {now, period});
                for (int i = 0; i < streams; i++) {
                    Counters.increment(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN);
                }
            } else if (now - first[0] >= TimeUnit.MILLISECONDS.toNanos(H2patchRuntime.shutdownDrainMillis)) {
                DEFERRED.remove(session);
                Counters.increment(Counters.CONNECTION_STATE_DRAIN_TIMEOUT);
                return false;
            } else if (!IdleDeferral.withinCap(first[1], period)) {
                DEFERRED.remove(session);
                Counters.increment(Counters.CONNECTION_STATE_IDLE_CAPPED);
                return false;
            } else {
                first[1] += period;
            }
        }
        Counters.increment(Counters.CONNECTION_STATE_IDLE_DEFERRED);
        return true;
    }

    /**
     * At {@code HTTP2Session.goAway(GoAwayFrame, Callback)}: whether this GOAWAY is the last one of a closing session
     * (non-graceful, NO_ERROR, the session LOCALLY_CLOSED with no stream left), after which the advice chains the
     * frame's callback with {@link #terminateAfterWrite}, so that the connection closes once it is written instead of
     * one idle period later. Never in report mode.
     */
    public static boolean closeAfterGoAway(boolean graceful, int error, String closeState, int streams) {
        return !graceful && error == 0 && "LOCALLY_CLOSED".equals(closeState) && streams == 0
                && !H2patchRuntime.reportOnly;
    }

    /**
     * Jetty 9.4, {@code Server.doStop}: whether the HTTP/2 sessions found open ({@code sessions}: how many) are sent a
     * graceful GOAWAY and waited for ({@link #awaitSessions}). Not when there are none; in report mode counts
     * {@code connection-state.would-change} and returns false.
     */
    public static boolean stopGracefully(int sessions) {
        if (sessions == 0) {
            return false;
        }
        if (H2patchRuntime.reportsOnly(Counters.CONNECTION_STATE_WOULD_CHANGE)) {
            return false;
        }
        return true;
    }

    /** Jetty 9.4, {@code Server.doStop}: a session with {@code streams} streams is sent a graceful GOAWAY (counted). */
    public static void stoppingGracefully(int streams) {
        for (int i = streams; i > 0; i--) {
            Counters.increment(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN);
        }
    }

    /** A task that ends the session the way its idle timeout would: {@code session.onIdleTimeout()}. */
    public static Runnable terminateAfterWrite(Object session) {
        return new Terminate(session);
    }

    /**
     * Jetty 9.4: a future that completes once {@code original} has and every session has no stream left and has
     * closed (or has had no stream for 50 ms). {@code get(timeout)} is called by the thread running
     * {@code Server.stop()}, never by a selector.
     */
    public static Future<Void> awaitSessions(Future<Void> original, List<Object> sessions) {
        return new SessionsDone(original, sessions);
    }

    private static final class Terminate implements Runnable {
        private final Object session;

        Terminate(Object session) {
            this.session = session;
        }

        @Override
        public void run() {
            try {
                ConnectionDrain.publicMethod(session.getClass(), "onIdleTimeout").invoke(session);
            } catch (Throwable ignored) {
                // The idle timeout closes it one period later, as without the agent.
            }
        }
    }

    /** How long a session with no stream may take to write its last GOAWAY and close before it counts as done. */
    static final long NO_STREAM_GRACE_MILLIS = 50;

    private static final class SessionsDone implements Future<Void> {
        private final Future<Void> original;
        private final List<Object> sessions;
        /** Per session: when it was first seen with no stream (0 = not yet). */
        private final long[] noStreamSince;
        private volatile boolean cancelled;

        SessionsDone(Future<Void> original, List<Object> sessions) {
            this.original = original;
            this.sessions = new ArrayList<Object>(sessions);
            this.noStreamSince = new long[sessions.size()];
        }

        @Override
        public boolean cancel(boolean mayInterrupt) {
            cancelled = true;
            if (original != null) {
                original.cancel(mayInterrupt);
            }
            return true;
        }

        @Override
        public boolean isCancelled() {
            return cancelled;
        }

        @Override
        public boolean isDone() {
            if (cancelled) {
                return true;
            }
            if (original != null && !original.isDone()) {
                return false;
            }
            for (int i = 0; i < sessions.size(); i++) {
                if (!sessionDone(i)) {
                    return false;
                }
            }
            return true;
        }

        private synchronized boolean sessionDone(int index) {
            Object session = sessions.get(index);
            try {
                if (Boolean.TRUE.equals(invoke(session, "isDisconnected"))) {
                    return true;
                }
                Object count = invoke(session, "getStreamCount");
                if (!(count instanceof Integer) || (Integer) count > 0) {
                    return false;
                }
                Object state = invoke(session, "getCloseState");
                if (state != null && "CLOSED".equals(state.toString())) {
                    return true;
                }
                long now = System.nanoTime();
                if (noStreamSince[index] == 0) {
                    noStreamSince[index] = now;
                }
                return now - noStreamSince[index] >= TimeUnit.MILLISECONDS.toNanos(NO_STREAM_GRACE_MILLIS);
            } catch (Throwable e) {
                return true;
            }
        }

        /**
         * Jetty 9.4 calls {@link #get(long, TimeUnit)} (stop timeout > 0) or only {@link #isDone()}; should anything
         * call this one, it is bounded by {@code shutdown-drain-ms} all the same, never an endless wait.
         */
        @Override
        public Void get() throws InterruptedException, ExecutionException {
            try {
                return get(H2patchRuntime.shutdownDrainMillis, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                return null; // the streams still open are cut when the connectors stop, as without the agent
            }
        }

        @Override
        public Void get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException,
                TimeoutException {
            long deadline = System.nanoTime() + unit.toNanos(timeout);
            while (!isDone()) {
                if (System.nanoTime() - deadline >= 0) {
                    Counters.increment(Counters.CONNECTION_STATE_DRAIN_TIMEOUT);
                    throw new TimeoutException("h2patch: HTTP/2 streams still open at the stop timeout");
                }
                Thread.sleep(ConnectionDrain.POLL_MILLIS);
            }
            return null;
        }

        private static Object invoke(Object target, String name) throws Exception {
            Method method = ConnectionDrain.publicMethod(target.getClass(), name);
            return method.invoke(target);
        }
    }
}
