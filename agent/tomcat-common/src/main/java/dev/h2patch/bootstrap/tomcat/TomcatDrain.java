package dev.h2patch.bootstrap.tomcat;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import java.lang.ref.WeakReference;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Tomcat's graceful stop, drained (docs/fixes/connection-state.md, "Tomcat"): the HTTP/2 connections a stop has
 * paused (each got its GOAWAY from {@code Http2UpgradeHandler.pause()}) are remembered, and the engine's stop waits,
 * at most {@code shutdown-drain-ms}, until none of them has a stream active. Without it the engine stops (and the
 * connectors close every socket) with the streams still in flight.
 *
 * <p>A connection is remembered by its {@code activeRemoteStreamCount} and its socket wrapper, both weakly (nothing
 * of Tomcat's is kept alive by this class); one whose socket is closed counts no stream. The socket wrapper's public
 * {@code isClosed()} is called by reflection (this class names no Tomcat type).
 */
public final class TomcatDrain {

    /** How often the wait looks at the streams. */
    static final long POLL_MS = 20;

    private static final List<WeakReference<?>[]> PAUSED = new ArrayList<WeakReference<?>[]>();

    private TomcatDrain() {
    }

    /** A connection was paused (GOAWAY sent): remembered until the next drain. */
    public static void paused(AtomicInteger activeStreams, Object socketWrapper) {
        synchronized (PAUSED) {
            PAUSED.add(new WeakReference<?>[] {new WeakReference<AtomicInteger>(activeStreams),
                new WeakReference<Object>(socketWrapper)});
        }
    }

    /** The streams active on the paused connections whose socket is open. */
    static int activeStreams() {
        int active = 0;
        synchronized (PAUSED) {
            for (Iterator<WeakReference<?>[]> it = PAUSED.iterator(); it.hasNext(); ) {
                WeakReference<?>[] refs = it.next();
                AtomicInteger count = (AtomicInteger) refs[0].get();
                Object socket = refs[1].get();
                if (count == null || socket == null || isClosed(socket)) {
                    it.remove();
                    continue;
                }
                active += Math.max(0, count.get());
            }
        }
        return active;
    }

    /**
     * The engine is about to stop: waits until the paused connections have no stream active, at most
     * {@code shutdown-drain-ms}, then forgets them. Counted: {@code connection-state.streams-saved-shutdown} (the
     * streams that finished meanwhile), {@code connection-state.drain-timeout} (the bound passed with streams still
     * active); report mode counts {@code connection-state.would-change} and does not wait.
     */
    public static void awaitStreams() {
        int first = activeStreams();
        if (first > 0 && !H2patchRuntime.reportsOnly(Counters.CONNECTION_STATE_WOULD_CHANGE)) {
            long deadline = System.nanoTime() + H2patchRuntime.shutdownDrainMillis * 1000000L;
            int active = first;
            boolean interrupted = false;
            while (active > 0 && System.nanoTime() < deadline) {
                try {
                    Thread.sleep(POLL_MS);
                } catch (InterruptedException e) {
                    // Whoever stops Tomcat wants it stopped now: stop waiting and keep the interrupt for Tomcat's
                    // own stop, rather than let it reach the advice's handler as a failure and be lost there.
                    Thread.currentThread().interrupt();
                    interrupted = true;
                    break;
                }
                active = activeStreams();
            }
            for (int i = active; i < first; i++) {
                Counters.increment(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN);
            }
            if (active > 0 && !interrupted) {
                Counters.increment(Counters.CONNECTION_STATE_DRAIN_TIMEOUT);
            }
        }
        synchronized (PAUSED) {
            PAUSED.clear();
        }
    }

    private static boolean isClosed(Object socketWrapper) {
        try {
            Method m = socketWrapper.getClass().getMethod("isClosed");
            return Boolean.TRUE.equals(m.invoke(socketWrapper));
        } catch (Exception e) {
            return true; // cannot tell: never hold a stop for it
        }
    }
}
