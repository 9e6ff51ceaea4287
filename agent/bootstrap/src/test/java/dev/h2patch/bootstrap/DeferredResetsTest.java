package dev.h2patch.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The state machine of the Netty proxy-safe-reset deferrals, with a plain executor as the event loop and a fake
 * handler whose {@code resetStream(ctx, int, long, promise)} records what it was asked to send.
 *
 * <p>The two tests that matter most for the JVM as a whole: a deferral whose loop shuts down (cancelling whatever was
 * scheduled there) or whose connection is collected must still end, so that {@link DeferredResets#anyDeferred()}
 * comes back to false and every other connection's DATA frames take the one-volatile-read path again.
 */
@Timeout(30)
class DeferredResetsTest {

    /** The shape of Netty's ChannelHandlerContext as the helper uses it (found through the interface). */
    public interface FakeContext {
        Object newPromise();

        Object flush();
    }

    public static final class Context implements FakeContext {
        @Override
        public Object newPromise() {
            return new Object();
        }

        @Override
        public Object flush() {
            return this;
        }
    }

    /** Records each reset as {streamId, errorCode, firing reason, thread}. */
    public static final class Handler {
        final BlockingQueue<Object[]> resets = new LinkedBlockingQueue<Object[]>();
        volatile Object connection;

        public Object resetStream(FakeContext ctx, int streamId, long errorCode, Object promise) {
            resets.add(new Object[] {streamId, errorCode, DeferredResets.firing(connection, streamId),
                Thread.currentThread()});
            return promise;
        }
    }

    private ScheduledThreadPoolExecutor loop;
    private Thread loopThread;
    private final Handler handler = new Handler();
    private final Context ctx = new Context();
    private long savedBytes;
    private long savedMillis;

    @BeforeEach
    void setUp() throws Exception {
        loop = new ScheduledThreadPoolExecutor(1);
        loopThread = loop.submit(Thread::currentThread).get();
        savedBytes = H2patchRuntime.resetDeferBytes;
        savedMillis = H2patchRuntime.resetDeferMillis;
        H2patchRuntime.resetDeferMillis = 300;
    }

    @AfterEach
    void tearDown() throws Exception {
        H2patchRuntime.resetDeferBytes = savedBytes;
        H2patchRuntime.resetDeferMillis = savedMillis;
        loop.shutdownNow();
        // Every test ends its deferrals; none may leak into the next test (or, in the agent, into the JVM).
        awaitNoDeferral(5000);
    }

    @Test
    void clientEndStreamEndsTheDeferralAndNoResetIsSent() throws Exception {
        Object connection = new Object();
        handler.connection = connection;
        long avoided = Counters.get(Counters.PROXY_SAFE_RESET_AVOIDED);
        assertTrue(DeferredResets.defer(connection, 3, handler, ctx, loop, 10_000));
        assertTrue(DeferredResets.anyDeferred());
        assertTrue(DeferredResets.isDeferred(connection, 3));
        assertFalse(DeferredResets.isDeferred(connection, 5));
        assertFalse(DeferredResets.isDeferred(new Object(), 3), "another connection's stream 3");
        assertEquals(DeferredResets.NOT_DEFERRED, DeferredResets.discard(new Object(), 3, 10, false));
        assertEquals(DeferredResets.DISCARDED, DeferredResets.discard(connection, 3, 10, false));
        assertEquals(DeferredResets.ENDED, DeferredResets.discard(connection, 3, 0, true));
        assertFalse(DeferredResets.anyDeferred());
        assertEquals(0, DeferredResets.connectionsTracked());
        assertEquals(avoided + 1, Counters.get(Counters.PROXY_SAFE_RESET_AVOIDED));
        assertEquals(DeferredResets.NOT_DEFERRED, DeferredResets.discard(connection, 3, 10, false));
        assertNull(handler.resets.poll(300, TimeUnit.MILLISECONDS), "no reset after the client ended the stream");
    }

    @Test
    void timeBoundSendsTheResetOnTheLoopAsNoError() throws Exception {
        Object connection = new Object();
        handler.connection = connection;
        assertTrue(DeferredResets.defer(connection, 7, handler, ctx, loop, 100));
        Object[] reset = handler.resets.poll(5, TimeUnit.SECONDS);
        assertNotNull(reset, "the reset is sent at the time bound");
        assertEquals(7, reset[0]);
        assertEquals(0L, reset[1], "the helper asks for NO_ERROR itself");
        assertEquals(DeferredResets.FIRING_TIMEOUT, reset[2], "the advice can tell it is the deferral's reset");
        assertEquals(loopThread, reset[3], "sent on the connection's event loop");
        awaitNoDeferral(2000);
        assertEquals(0, DeferredResets.connectionsTracked());
        assertEquals(DeferredResets.NOT_FIRING, DeferredResets.firing(connection, 7));
    }

    @Test
    void byteBoundSendsTheResetEarly() throws Exception {
        H2patchRuntime.resetDeferBytes = 100;
        Object connection = new Object();
        handler.connection = connection;
        assertTrue(DeferredResets.defer(connection, 9, handler, ctx, loop, 60_000));
        assertEquals(DeferredResets.DISCARDED, DeferredResets.discard(connection, 9, 60, false));
        assertNull(handler.resets.poll(100, TimeUnit.MILLISECONDS), "within the byte bound");
        assertEquals(DeferredResets.DISCARDED, DeferredResets.discard(connection, 9, 60, false));
        Object[] reset = handler.resets.poll(5, TimeUnit.SECONDS);
        assertNotNull(reset, "past the byte bound the reset is sent");
        assertEquals(DeferredResets.FIRING_BYTES, reset[2]);
        assertEquals(loopThread, reset[3]);
        awaitNoDeferral(2000);
        assertEquals(0, DeferredResets.connectionsTracked());
    }

    /** Detach: a held-back reset goes out at once, as at its time bound (so the advice does not hold it again). */
    @Test
    void stopSendsEveryHeldBackResetAtOnceAsAtItsTimeBound() throws Exception {
        Object connection = new Object();
        handler.connection = connection;
        assertTrue(DeferredResets.defer(connection, 11, handler, ctx, loop, 60_000));
        DeferredResets.stop();
        Object[] reset = handler.resets.poll(5, TimeUnit.SECONDS);
        assertNotNull(reset, "sent on stop, not after the 60 s bound");
        assertEquals(11, reset[0]);
        assertEquals(0L, reset[1]);
        assertEquals(DeferredResets.FIRING_TIMEOUT, reset[2], "the advice must see the deferral's own reset");
        assertEquals(loopThread, reset[3]);
        awaitNoDeferral(2000);
        assertEquals(0, DeferredResets.connectionsTracked());
    }

    /** Issue 14: the loop's shutdown cancels what was scheduled on it; the deferral must end all the same. */
    @Test
    void loopShutdownBeforeTheBoundStillEndsTheDeferral() throws Exception {
        Object connection = new Object();
        handler.connection = connection;
        assertTrue(DeferredResets.defer(connection, 11, handler, ctx, loop, 200));
        loop.shutdownNow();
        awaitNoDeferral(5000);
        assertFalse(DeferredResets.anyDeferred(), "a deferral on a stopped loop ended at its bound");
        assertEquals(0, DeferredResets.connectionsTracked(), "and left no state");
        assertEquals(DeferredResets.NOT_DEFERRED, DeferredResets.discard(connection, 11, 10, false));
        assertNull(handler.resets.poll(100, TimeUnit.MILLISECONDS), "nothing can be sent on a stopped loop");
    }

    /** Issue 14: a connection collected while its reset is held back must not leave the count up for ever. */
    @Test
    void collectedConnectionLeavesNoState() throws Exception {
        WeakReference<Object> collected = deferOnATemporaryConnection(13, 200);
        assertTrue(DeferredResets.anyDeferred());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (collected.get() != null && System.nanoTime() < deadline) {
            System.gc();
            Thread.sleep(20);
        }
        assertNull(collected.get(), "the helper must not keep the connection alive");
        awaitNoDeferral(5000);
        assertFalse(DeferredResets.anyDeferred(), "the collected connection's deferral ended at its bound");
        assertEquals(0, DeferredResets.connectionsTracked(), "and left no state");
    }

    @Test
    void perConnectionLimitAndDuplicates() throws Exception {
        Object connection = new Object();
        handler.connection = connection;
        for (int i = 0; i < DeferredResets.MAX_PER_CONNECTION; i++) {
            assertTrue(DeferredResets.defer(connection, 1 + 2 * i, handler, ctx, loop, 60_000), "deferral " + i);
        }
        assertFalse(DeferredResets.defer(connection, 1001, handler, ctx, loop, 60_000), "over the limit");
        assertFalse(DeferredResets.defer(connection, 1, handler, ctx, loop, 60_000), "already deferred");
        Object other = new Object();
        assertTrue(DeferredResets.defer(other, 1, handler, ctx, loop, 60_000), "the limit is per connection");
        assertEquals(2, DeferredResets.connectionsTracked());
        assertEquals(DeferredResets.MAX_PER_CONNECTION + 1, DeferredResets.live());
        for (int i = 0; i < DeferredResets.MAX_PER_CONNECTION; i++) {
            assertEquals(DeferredResets.ENDED, DeferredResets.discard(connection, 1 + 2 * i, 0, true));
        }
        assertEquals(DeferredResets.ENDED, DeferredResets.discard(other, 1, 0, true));
        assertFalse(DeferredResets.anyDeferred());
        assertEquals(0, DeferredResets.connectionsTracked());
    }

    @Test
    void stoppedLoopOrUnknownHandlerDefersNothing() {
        Object connection = new Object();
        assertFalse(DeferredResets.defer(connection, 3, new Object(), ctx, loop, 1000), "no resetStream method");
        loop.shutdown();
        assertFalse(DeferredResets.defer(connection, 3, handler, ctx, loop, 1000), "loop shutting down");
        assertFalse(DeferredResets.anyDeferred());
        assertEquals(0, DeferredResets.connectionsTracked());
    }

    /**
     * A handler whose {@code resetStream} asks {@link DeferredResets#onReset} what the advice would, when the deferral
     * sends its reset at the bound: {streamId, decision if the stream is still HALF_CLOSED_LOCAL, decision if gone}.
     */
    public static final class DecidingHandler {
        final BlockingQueue<int[]> decisions = new LinkedBlockingQueue<int[]>();
        volatile Object connection;

        public Object resetStream(FakeContext ctx, int streamId, long errorCode, Object promise) {
            int stillOpen = DeferredResets.onReset(connection, streamId, errorCode, true, false, this, ctx, null);
            int gone = DeferredResets.onReset(connection, streamId, errorCode, false, false, this, ctx, null);
            decisions.add(new int[] {streamId, stillOpen, gone});
            return promise;
        }
    }

    @Test
    void onResetLeavesAbortsTheClientsFaultAndRepeatedResetsAlone() {
        Object connection = new Object();
        long deferred = Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED);
        assertEquals(DeferredResets.SEND, DeferredResets.onReset(connection, 3, 0x8, false, false, handler, ctx, loop),
                "incomplete response: a real abort");
        assertEquals(DeferredResets.SEND, DeferredResets.onReset(connection, 3, 0x1, true, false, handler, ctx, loop),
                "PROTOCOL_ERROR: the client's fault");
        assertEquals(DeferredResets.SEND, DeferredResets.onReset(connection, 3, 0x8, true, true, handler, ctx, loop),
                "the library already sent a reset");
        assertFalse(DeferredResets.anyDeferred());
        assertEquals(deferred, Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED));
    }

    @Test
    void onResetHoldsBackAResetAfterACompleteResponse() {
        Object connection = new Object();
        long deferred = Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED);
        assertEquals(DeferredResets.SKIP, DeferredResets.onReset(connection, 5, 0x8, true, false, handler, ctx, loop));
        assertTrue(DeferredResets.isDeferred(connection, 5));
        assertEquals(deferred + 1, Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED));
        assertEquals(DeferredResets.SKIP, DeferredResets.onReset(connection, 5, 0x8, true, false, null, ctx, null),
                "asked again while held back: still held back, whatever the handler");
        assertEquals(DeferredResets.ENDED, DeferredResets.discard(connection, 5, 0, true));
    }

    @Test
    void onResetSendsNoErrorAtOnceWhenTheResetCannotBeHeldBack() {
        Object connection = new Object();
        long rewritten = Counters.get(Counters.PROXY_SAFE_RESET_REWRITTEN);
        assertEquals(DeferredResets.SEND_NO_ERROR,
                DeferredResets.onReset(connection, 7, 0x8, true, false, null, ctx, null),
                "no handler that can hold it");
        assertEquals(DeferredResets.SEND, DeferredResets.onReset(connection, 7, 0x0, true, false, null, ctx, null),
                "already NO_ERROR");
        assertEquals(rewritten + 1, Counters.get(Counters.PROXY_SAFE_RESET_REWRITTEN));
        loop.shutdown();
        assertEquals(DeferredResets.SEND_NO_ERROR,
                DeferredResets.onReset(connection, 9, 0x8, true, false, handler, ctx, loop), "loop shutting down");
        assertFalse(DeferredResets.anyDeferred());
    }

    @Test
    void onResetInReportModeCountsAndHoldsNothingBack() {
        Object connection = new Object();
        long would = Counters.get(Counters.PROXY_SAFE_RESET_WOULD_CHANGE);
        H2patchRuntime.reportOnly = true;
        try {
            assertEquals(DeferredResets.SEND,
                    DeferredResets.onReset(connection, 3, 0x8, true, false, handler, ctx, loop));
        } finally {
            H2patchRuntime.reportOnly = false;
        }
        assertEquals(would + 1, Counters.get(Counters.PROXY_SAFE_RESET_WOULD_CHANGE));
        assertFalse(DeferredResets.anyDeferred());
    }

    @Test
    void onResetAtTheBoundSendsNoErrorOrSkipsAStreamThatIsGone() throws Exception {
        Object connection = new Object();
        DecidingHandler deciding = new DecidingHandler();
        deciding.connection = connection;
        long timeout = Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED_TIMEOUT);
        assertEquals(DeferredResets.SKIP,
                DeferredResets.onReset(connection, 11, 0x8, true, false, deciding, ctx, loop));
        int[] decision = deciding.decisions.poll(5, TimeUnit.SECONDS);
        assertNotNull(decision, "sent at the time bound (reset-defer-ms, 300 ms here)");
        assertEquals(11, decision[0]);
        assertEquals(DeferredResets.SEND_NO_ERROR, decision[1], "the deferral's own reset goes out as NO_ERROR");
        assertEquals(DeferredResets.SKIP, decision[2], "a stream gone meanwhile gets no reset");
        assertEquals(timeout + 1, Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED_TIMEOUT));
        awaitNoDeferral(2000);
    }

    private WeakReference<Object> deferOnATemporaryConnection(int streamId, long millis) {
        Object connection = new Object();
        assertTrue(DeferredResets.defer(connection, streamId, handler, ctx, loop, millis));
        return new WeakReference<Object>(connection);
    }

    private static void awaitNoDeferral(long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (DeferredResets.anyDeferred() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertFalse(DeferredResets.anyDeferred(), "live deferrals: " + DeferredResets.live());
    }
}
