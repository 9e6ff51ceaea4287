package dev.h2patch.bootstrap;

import java.lang.reflect.Constructor;

/**
 * The threads the agent starts (the Jetty reset timer, a Netty group's drain) are created here, so that none of them
 * keeps anything of the application thread that happened to cause it: such a thread is often a request or event loop
 * thread whose context class loader is a web application's (which a long-lived thread would keep from being
 * collected after an undeploy), whose inheritable thread-locals hold the application's objects, and whose thread
 * group may be the application's.
 *
 * <p>So each thread is a daemon, has no context class loader, belongs to the JVM's root thread group and, on Java 9+
 * ({@code Thread(ThreadGroup, Runnable, String, long, boolean)}), inherits no thread-locals. On Java 8 the inheritable
 * thread-locals are copied as usual (there is no way around that there).
 */
public final class AgentThreads {

    private static final Constructor<Thread> NO_INHERITANCE = noInheritance();

    private AgentThreads() {
    }

    /** A new, not yet started daemon thread named {@code name} that runs {@code task}; see the class comment. */
    public static Thread newThread(Runnable task, String name) {
        ThreadGroup group = rootGroup();
        Thread thread = null;
        if (NO_INHERITANCE != null) {
            try {
                thread = NO_INHERITANCE.newInstance(group, task, name, 0L, Boolean.FALSE);
            } catch (Throwable t) {
                thread = null;
            }
        }
        if (thread == null) {
            thread = new Thread(group, task, name);
        }
        thread.setDaemon(true);
        thread.setContextClassLoader(null);
        return thread;
    }

    private static ThreadGroup rootGroup() {
        ThreadGroup group = Thread.currentThread().getThreadGroup();
        try {
            while (group != null && group.getParent() != null) {
                group = group.getParent();
            }
        } catch (Throwable t) {
            // A security manager forbids walking up: the current group, then.
        }
        return group;
    }

    private static Constructor<Thread> noInheritance() {
        try {
            return Thread.class.getConstructor(ThreadGroup.class, Runnable.class, String.class, long.class,
                    boolean.class);
        } catch (Throwable t) {
            return null; // Java 8
        }
    }
}
