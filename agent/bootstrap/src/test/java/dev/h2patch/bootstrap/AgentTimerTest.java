package dev.h2patch.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.Callable;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The agent's timer thread: made with its first task, ended by {@link AgentTimer#stop}, idle ones time out. */
@Timeout(30)
class AgentTimerTest {

    private static final Callable<Thread> CURRENT = new Callable<Thread>() {
        @Override
        public Thread call() {
            return Thread.currentThread();
        }
    };

    @Test
    void nothingExistsUntilTheFirstGetThenTheSameExecutor() throws Exception {
        AgentTimer timer = new AgentTimer("h2patch-test-timer", false);
        try {
            assertFalse(timer.started());
            ScheduledThreadPoolExecutor executor = timer.get();
            assertTrue(timer.started());
            assertSame(executor, timer.get(), "one executor, got by a volatile read");
            assertTrue(executor.allowsCoreThreadTimeOut(), "its thread ends when idle");
            assertEquals(AgentTimer.KEEP_ALIVE_MS, executor.getKeepAliveTime(TimeUnit.MILLISECONDS));
            assertFalse(executor.getRemoveOnCancelPolicy());

            Thread thread = executor.schedule(CURRENT, 10, TimeUnit.MILLISECONDS).get(10, TimeUnit.SECONDS);
            assertEquals("h2patch-test-timer", thread.getName());
            assertTrue(thread.isDaemon());
            assertNull(thread.getContextClassLoader(), "made by AgentThreads");
        } finally {
            timer.stop();
        }
    }

    /** No thread of the agent outlives its work: an idle timer thread ends {@link AgentTimer#KEEP_ALIVE_MS} later. */
    @Test
    void anIdleThreadEndsAfterTheKeepAlive() throws Exception {
        AgentTimer timer = new AgentTimer("h2patch-test-timer", false);
        try {
            Thread thread = timer.get().submit(CURRENT).get(10, TimeUnit.SECONDS);
            assertTrue(thread.isAlive(), "kept for the next task");
            thread.join(AgentTimer.KEEP_ALIVE_MS + 5000);
            assertFalse(thread.isAlive(), "ended once idle for " + AgentTimer.KEEP_ALIVE_MS + " ms");
            assertTrue(timer.started(), "the executor stays; its next task makes a new thread");
            assertNotSame(thread, timer.get().submit(CURRENT).get(10, TimeUnit.SECONDS));
        } finally {
            timer.stop();
        }
    }

    @Test
    void removeOnCancelIsTheCallersChoice() {
        AgentTimer timer = new AgentTimer("h2patch-test-timer", true);
        try {
            assertTrue(timer.get().getRemoveOnCancelPolicy());
            ScheduledFuture<?> task = timer.get().schedule(CURRENT, 1, TimeUnit.HOURS);
            task.cancel(false);
            assertEquals(0, timer.get().getQueue().size(), "a cancelled task leaves the queue at once");
        } finally {
            timer.stop();
        }
    }

    @Test
    void stopEndsTheThreadDropsWhatIsQueuedAndALaterGetStartsAnew() throws Exception {
        AgentTimer timer = new AgentTimer("h2patch-test-timer", false);
        ScheduledThreadPoolExecutor first = timer.get();
        Thread thread = first.submit(CURRENT).get(10, TimeUnit.SECONDS);
        ScheduledFuture<?> pending = first.schedule(CURRENT, 1, TimeUnit.HOURS);
        timer.stop();
        assertFalse(timer.started());
        assertTrue(first.isShutdown());
        assertTrue(first.awaitTermination(10, TimeUnit.SECONDS), "no thread of the agent outlives stop");
        thread.join(10000);
        assertFalse(thread.isAlive());
        assertFalse(pending.isDone() && !pending.isCancelled(), "what was queued never runs");

        ScheduledThreadPoolExecutor second = timer.get();
        try {
            assertNotSame(first, second);
            assertFalse(second.isShutdown());
            assertEquals("h2patch-test-timer", second.submit(CURRENT).get(10, TimeUnit.SECONDS).getName());
        } finally {
            timer.stop();
        }
        timer.stop(); // twice: nothing to do
        assertFalse(timer.started());
    }

    /** Detach of a held reset: what is queued runs at once, on the caller's thread, and the timer's thread ends. */
    @Test
    void stopRunningQueuedNowRunsWhatIsQueuedAtOnceAndEndsTheThread() throws Exception {
        AgentTimer timer = new AgentTimer("h2patch-test-timer", true);
        ScheduledThreadPoolExecutor executor = timer.get();
        Thread thread = executor.submit(CURRENT).get(10, TimeUnit.SECONDS);
        final java.util.List<Thread> ranOn = new java.util.concurrent.CopyOnWriteArrayList<Thread>();
        Runnable record = new Runnable() {
            @Override
            public void run() {
                ranOn.add(Thread.currentThread());
            }
        };
        executor.schedule(record, 1, TimeUnit.HOURS);
        executor.schedule(record, 2, TimeUnit.HOURS);
        executor.schedule(record, 3, TimeUnit.HOURS).cancel(false); // removed from the queue: never runs
        executor.schedule(new Runnable() {
            @Override
            public void run() {
                throw new IllegalStateException("a task that fails");
            }
        }, 1, TimeUnit.HOURS);
        long failedBefore = Counters.get(Counters.PROXY_SAFE_RESET_FAILED);

        assertEquals(3, timer.stopRunningQueuedNow("proxy-safe-reset"));

        assertEquals(java.util.Arrays.asList(Thread.currentThread(), Thread.currentThread()), ranOn,
                "both queued tasks ran at once, on the detaching thread; the cancelled one did not");
        assertEquals(failedBefore + 1, Counters.get(Counters.PROXY_SAFE_RESET_FAILED),
                "a task that throws is counted as the fix's failure, and the others still run");
        assertFalse(timer.started());
        assertTrue(executor.awaitTermination(10, TimeUnit.SECONDS));
        thread.join(10000);
        assertFalse(thread.isAlive(), "no thread of the agent outlives the detach");
        assertEquals(0, timer.stopRunningQueuedNow("proxy-safe-reset"), "twice: nothing to do");
    }

    /** Detach during a drain: the queued task still runs at its time (the bound), then the thread ends. */
    @Test
    void stopAfterQueuedRunsWhatIsQueuedAtItsTimeThenEndsTheThread() throws Exception {
        AgentTimer timer = new AgentTimer("h2patch-test-timer", true);
        ScheduledThreadPoolExecutor executor = timer.get();
        long scheduled = System.nanoTime();
        ScheduledFuture<Thread> drain = executor.schedule(CURRENT, 300, TimeUnit.MILLISECONDS);

        timer.stopAfterQueued();

        assertFalse(timer.started(), "a later get starts a new thread");
        assertTrue(executor.isShutdown(), "takes no new task");
        Thread ranOn = drain.get(10, TimeUnit.SECONDS);
        long after = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - scheduled);
        assertEquals("h2patch-test-timer", ranOn.getName());
        assertTrue(after >= 300, "ran at its time, not at the stop: " + after + " ms");
        assertTrue(executor.awaitTermination(10, TimeUnit.SECONDS), "then the thread ends");
        ranOn.join(10000);
        assertFalse(ranOn.isAlive());
    }
}
