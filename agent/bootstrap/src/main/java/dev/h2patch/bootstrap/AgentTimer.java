package dev.h2patch.bootstrap;

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

    /** Ends the thread now, dropping what is queued; a later {@link #get} starts a new one. */
    public void stop() {
        ScheduledThreadPoolExecutor current;
        synchronized (this) {
            current = executor;
            executor = null;
        }
        if (current != null) {
            current.shutdownNow();
        }
    }

    /** Whether the executor exists (tests). */
    public boolean started() {
        return executor != null;
    }
}
