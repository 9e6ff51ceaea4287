package dev.h2patch.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The drain before an event loop group shuts down (docs/fixes/connection-state.md, "Shutdown, after" and "Bounds, and
 * the application's own timeout"), with fakes that have the public methods the helper calls by reflection: a group
 * whose {@code shutdownGracefully} asks the helper first, as the advice inlined there does; a channel whose
 * {@code close()} is the pipeline's close; a handler with its connection and graceful timeout.
 */
@Timeout(30)
class ConnectionDrainTest {

    /** An event loop group; its {@code shutdownGracefully} does what the advice and the real method do. */
    public static final class Group {
        /** The real shutdowns: {quietMillis, timeoutMillis}. */
        final BlockingQueue<long[]> shutdowns = new LinkedBlockingQueue<long[]>();

        public String shutdownGracefully(long quietPeriod, long timeout, TimeUnit unit) {
            if (ConnectionDrain.beforeShutdown(this, quietPeriod, timeout, unit)) {
                return "skipped";
            }
            shutdowns.add(new long[] {unit.toMillis(quietPeriod), unit.toMillis(timeout)});
            return "shut down";
        }
    }

    public static final class Connection {
        final int active;

        Connection(int active) {
            this.active = active;
        }

        public int numActiveStreams() {
            return active;
        }
    }

    public static final class Handler {
        final Connection connection;
        volatile long gracefulMillis;

        Handler(int activeStreams, long gracefulMillis) {
            this.connection = new Connection(activeStreams);
            this.gracefulMillis = gracefulMillis;
        }

        public Connection connection() {
            return connection;
        }

        public long gracefulShutdownTimeoutMillis() {
            return gracefulMillis;
        }

        public void gracefulShutdownTimeoutMillis(long millis) {
            gracefulMillis = millis;
        }
    }

    /** A channel: {@code close()} goes through the pipeline; the connection closes when its streams are done. */
    public static final class Channel {
        final CompletableFuture<Void> closeFuture = new CompletableFuture<Void>();
        final AtomicInteger closes = new AtomicInteger();
        final boolean closesAtOnce;

        Channel(boolean closesAtOnce) {
            this.closesAtOnce = closesAtOnce;
        }

        public void close() {
            closes.incrementAndGet();
            if (closesAtOnce) {
                closeFuture.complete(null);
            }
        }
    }

    private final long savedDrain = H2patchRuntime.shutdownDrainMillis;

    @AfterEach
    void restore() {
        H2patchRuntime.shutdownDrainMillis = savedDrain;
        H2patchRuntime.reportOnly = false;
    }

    private static Channel track(Group group, Handler handler, boolean closesAtOnce) {
        Channel channel = new Channel(closesAtOnce);
        ConnectionDrain.track(channel, handler, group, channel.closeFuture);
        return channel;
    }

    @Test
    void aGroupWithNoHttp2ConnectionShutsDownUntouched() {
        Group group = new Group();
        assertEquals("shut down", group.shutdownGracefully(2, 15, TimeUnit.SECONDS));
        assertEquals(1, group.shutdowns.size());
        assertEquals(15000, group.shutdowns.peek()[1], "the caller's own values");
    }

    @Test
    void openConnectionsAreClosedThroughTheirPipelineFirstThenTheGroupShutsDown() throws Exception {
        Group group = new Group();
        Handler handler = new Handler(3, 0);
        Channel channel = track(group, handler, true);
        long saved = Counters.get(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN);
        long timedOut = Counters.get(Counters.CONNECTION_STATE_DRAIN_TIMEOUT);

        assertEquals("skipped", group.shutdownGracefully(2, 15, TimeUnit.SECONDS), "the caller is not blocked");
        long[] shutdown = group.shutdowns.poll(10, TimeUnit.SECONDS);
        assertNotNull(shutdown, "the real shutdown follows the drain");
        assertEquals(1, channel.closes.get(), "closed once, through the pipeline (GOAWAY)");
        assertEquals(15000, handler.gracefulMillis, "the handler's own graceful timeout raised to the bound");
        assertTrue(shutdown[1] <= 15000 && shutdown[1] > 5000, "what is left of the caller's timeout: " + shutdown[1]);
        assertTrue(shutdown[0] <= 2000, "quiet period within it: " + shutdown[0]);
        assertEquals(saved + 3, Counters.get(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN), "its active streams");
        assertEquals(timedOut, Counters.get(Counters.CONNECTION_STATE_DRAIN_TIMEOUT));

        assertEquals("shut down", group.shutdownGracefully(2, 15, TimeUnit.SECONDS), "released: a later call runs");
    }

    @Test
    void aLongerGracefulTimeoutOfTheHandlerIsKept() throws Exception {
        Group group = new Group();
        Handler handler = new Handler(1, 60000);
        track(group, handler, true);
        assertEquals("skipped", group.shutdownGracefully(0, 15, TimeUnit.SECONDS));
        assertNotNull(group.shutdowns.poll(10, TimeUnit.SECONDS));
        assertEquals(60000, handler.gracefulMillis);
    }

    @Test
    void theDrainEndsAtItsBoundWithConnectionsStillOpenAndTheGroupShutsDownAnyway() throws Exception {
        H2patchRuntime.shutdownDrainMillis = 200;
        Group group = new Group();
        Channel channel = track(group, new Handler(1, 0), false);
        long timedOut = Counters.get(Counters.CONNECTION_STATE_DRAIN_TIMEOUT);
        long start = System.nanoTime();

        assertEquals("skipped", group.shutdownGracefully(0, 10, TimeUnit.SECONDS));
        assertEquals("skipped", group.shutdownGracefully(0, 10, TimeUnit.SECONDS),
                "a second call while draining gets the same termination future");
        long[] shutdown = group.shutdowns.poll(10, TimeUnit.SECONDS);
        long elapsed = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertNotNull(shutdown);
        assertTrue(elapsed >= 200, "not before the bound (shutdown-drain-ms): " + elapsed);
        assertTrue(elapsed < 5000, "at the bound, not at the caller's timeout: " + elapsed);
        assertEquals(timedOut + 1, Counters.get(Counters.CONNECTION_STATE_DRAIN_TIMEOUT));
        assertTrue(shutdown[1] <= 10000 - 200 && shutdown[1] > 5000, "what is left: " + shutdown[1]);
        assertNull(group.shutdowns.poll(200, TimeUnit.MILLISECONDS), "one real shutdown, not two");
        assertEquals(1, channel.closes.get());
    }

    @Test
    void noTimeoutMeansNowAndNoDrain() {
        Group group = new Group();
        Channel channel = track(group, new Handler(1, 0), false);
        assertEquals("shut down", group.shutdownGracefully(0, 0, TimeUnit.SECONDS));
        assertEquals(0, channel.closes.get());
    }

    @Test
    void argumentsNettyRejectsAreLeftToNetty() {
        Group group = new Group();
        Channel channel = track(group, new Handler(1, 0), false);
        assertFalse(ConnectionDrain.beforeShutdown(group, 5, 2, TimeUnit.SECONDS), "timeout < quiet period");
        assertFalse(ConnectionDrain.beforeShutdown(group, -1, 2, TimeUnit.SECONDS), "negative quiet period");
        assertFalse(ConnectionDrain.beforeShutdown(group, 0, 2, null), "no unit");
        assertEquals(0, channel.closes.get());
    }

    @Test
    void closedConnectionsAndOtherGroupsConnectionsAreNotDrained() {
        Group group = new Group();
        Group other = new Group();
        Channel closed = track(group, new Handler(1, 0), true);
        closed.closeFuture.complete(null);
        Channel elsewhere = track(other, new Handler(1, 0), false);
        assertEquals("shut down", group.shutdownGracefully(0, 15, TimeUnit.SECONDS));
        assertEquals(0, closed.closes.get());
        assertEquals(0, elsewhere.closes.get(), "another group's connection");
    }

    @Test
    void reportModeCountsAndChangesNothing() {
        H2patchRuntime.reportOnly = true;
        Group group = new Group();
        Channel channel = track(group, new Handler(1, 0), false);
        long would = Counters.get(Counters.CONNECTION_STATE_WOULD_CHANGE);
        assertEquals("shut down", group.shutdownGracefully(0, 15, TimeUnit.SECONDS));
        assertEquals(would + 1, Counters.get(Counters.CONNECTION_STATE_WOULD_CHANGE));
        assertEquals(0, channel.closes.get());
    }
}
