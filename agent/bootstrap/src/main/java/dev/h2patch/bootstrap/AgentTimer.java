package dev.h2patch.bootstrap;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * One timer thread of the agent's (the reset deferrals' time bounds): created with its first task ({@link AgentThreads}:
 * a daemon with nothing of the application's), ended {@link #KEEP_ALIVE_MS} ms after its queue empties, and at once by
 * {@link #stop} (detach), so that no thread of the agent outlives its work. Getting it is one volatile read; only
 * creating it takes a lock.
 */
public final class AgentTimer {

    /** How long the thread outlives its last task. */
    public static final long KEEP_ALIVE_MS = 5000;

    private final String threadName;
    private final boolean removeOnCancel;
    private volatile ScheduledThreadPoolExecutor executor;

    /**
     * @param removeOnCancel whether a cancelled task leaves the queue at once (takes the queue's lock) or at its
     *     deadline, doing nothing (cancelling is then a lock-free state change)
     */
    public AgentTimer(String threadName, boolean removeOnCancel) {
        this.threadName = threadName;
        this.removeOnCancel = removeOnCancel;
    }

    public ScheduledThreadPoolExecutor get() {
        ScheduledThreadPoolExecutor current = executor;
        if (current != null) {
            return current;
        }
        synchronized (this) {
            if (executor == null) {
                ScheduledThreadPoolExecutor created = new ScheduledThreadPoolExecutor(1, new ThreadFactory() {
                    @Override
                    public Thread newThread(Runnable task) {
                        return AgentThreads.newThread(task, threadName);
                    }
                });
                created.setRemoveOnCancelPolicy(removeOnCancel);
                created.setKeepAliveTime(KEEP_ALIVE_MS, TimeUnit.MILLISECONDS);
                created.allowCoreThreadTimeOut(true);
                executor = created;
            }
            return executor;
        }
    }

    /**
     * Ends the thread now, dropping what is queued; a later {@link #get} starts a new one. For a user that has already
     * done at detach what its queued tasks would do (the Netty, Jetty and Tomcat held resets are sent by their own
     * {@code stop()}).
     */
    public void stop() {
        ScheduledThreadPoolExecutor current = detachExecutor();
        if (current != null) {
            current.shutdownNow();
        }
    }

    /**
     * Ends the thread now and runs what is queued at once, on the calling thread (detach): a time bound whose end the
     * agent promised (a held reset) is then kept early rather than dropped. A task cancelled meanwhile does nothing;
     * one that throws is counted and reported as a failure of {@code fix} ({@link AdviceFailures}). Returns how many
     * queued tasks there were.
     */
    public int stopRunningQueuedNow(String fix) {
        ScheduledThreadPoolExecutor current = detachExecutor();
        if (current == null) {
            return 0;
        }
        // Taken out of the queue and run while the executor still runs: a task of a stopped executor cancels itself
        // instead of running (ScheduledFutureTask.run). One the thread took meanwhile runs there, as it would have.
        int queued = 0;
        for (Object task : current.getQueue().toArray()) {
            if (current.remove((Runnable) task)) {
                queued++;
                try {
                    Future<?> future = (Future<?>) task;
                    ((Runnable) task).run(); // a task's throwable ends up in its future
                    if (future.isDone() && !future.isCancelled()) {
                        future.get();
                    }
                } catch (ExecutionException e) {
                    AdviceFailures.failed(e.getCause(), fix, AgentTimer.class);
                } catch (Throwable t) {
                    AdviceFailures.failed(t, fix, AgentTimer.class);
                }
            }
        }
        current.shutdownNow();
        return queued;
    }

    /**
     * Takes no new task and lets the queued ones run at their time; the thread ends after the last one (detach, for a
     * bound the application waits on: a connection-state drain runs to its bound). A later {@link #get} starts a new
     * thread.
     */
    public void stopAfterQueued() {
        ScheduledThreadPoolExecutor current = detachExecutor();
        if (current != null) {
            current.shutdown(); // delayed tasks still run: the executor's default policy
        }
    }

    private synchronized ScheduledThreadPoolExecutor detachExecutor() {
        ScheduledThreadPoolExecutor current = executor;
        executor = null;
        return current;
    }

    /** Whether the executor exists (tests). */
    public boolean started() {
        return executor != null;
    }
}
