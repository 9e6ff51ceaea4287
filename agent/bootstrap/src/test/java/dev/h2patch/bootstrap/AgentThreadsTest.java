package dev.h2patch.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A thread of the agent keeps nothing of the application thread that caused it: started from a "request thread" with
 * a web application's context class loader, inheritable thread-locals and thread group, it has none of them.
 */
@Timeout(30)
class AgentThreadsTest {

    private static final InheritableThreadLocal<Object> REQUEST = new InheritableThreadLocal<Object>();

    @Test
    void aNewThreadIsADaemonOfTheRootGroupWithNoContextLoaderNotYetStarted() throws Exception {
        ThreadGroup application = new ThreadGroup("webapp");
        ClassLoader webapp = new URLClassLoader(new URL[0], null);
        AtomicReference<Thread> made = new AtomicReference<Thread>();
        Thread requestThread = new Thread(application, new Runnable() {
            @Override
            public void run() {
                made.set(AgentThreads.newThread(new Runnable() {
                    @Override
                    public void run() {
                    }
                }, "h2patch-test"));
            }
        }, "request");
        requestThread.setContextClassLoader(webapp);
        requestThread.start();
        requestThread.join();

        Thread thread = made.get();
        assertEquals("h2patch-test", thread.getName());
        assertTrue(thread.isDaemon(), "never keeps the JVM alive");
        assertNull(thread.getContextClassLoader(), "keeps no web application's class loader");
        assertEquals(Thread.State.NEW, thread.getState(), "the caller starts it");
        ThreadGroup group = thread.getThreadGroup();
        assertNull(group.getParent(), "the JVM's root group, not " + group.getName());
        assertFalse(group == application);
    }

    @Test
    void itRunsItsTaskAndInheritsNoThreadLocal() throws Exception {
        Object applicationObject = new Object();
        REQUEST.set(applicationObject);
        try {
            CountDownLatch ran = new CountDownLatch(1);
            AtomicReference<Object> seen = new AtomicReference<Object>("unset");
            AtomicReference<ClassLoader> loader = new AtomicReference<ClassLoader>(getClass().getClassLoader());
            Thread thread = AgentThreads.newThread(new Runnable() {
                @Override
                public void run() {
                    seen.set(REQUEST.get());
                    loader.set(Thread.currentThread().getContextClassLoader());
                    ran.countDown();
                }
            }, "h2patch-test");
            thread.start();
            assertTrue(ran.await(10, TimeUnit.SECONDS), "the task runs");
            // Java 9+ (this build runs on 11+): the thread-locals constructor; on Java 8 they would be copied.
            assertSame(null, seen.get(), "the application's inheritable thread-local is not inherited");
            assertNull(loader.get());
        } finally {
            REQUEST.remove();
        }
    }
}
