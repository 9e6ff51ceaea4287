package dev.h2patch.bootstrap.jetty;

import dev.h2patch.bootstrap.AgentThreads;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.bootstrap.fake.FakeStream;
import dev.h2patch.bootstrap.fake.ResetFrame;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The Jetty reset timer's thread: what it keeps of the thread that started it, and when it ends. */
class JettyDeferredResetsTest {

    private static final String TIMER = "h2patch-jetty-reset-timer";

    @AfterEach
    void stop() {
        JettyDeferredResets.stop();
    }

    @Test
    void theTimerThreadKeepsNoRequestContextAndStopSendsThePendingResetAndEndsIt() throws Exception {
        final ClassLoader webapp = new URLClassLoader(new URL[0], null);
        final InheritableThreadLocal<Object> requestScoped = new InheritableThreadLocal<Object>();
        final FakeStream stream = new FakeStream();
        final AtomicReference<Object> deferral = new AtomicReference<Object>();
        Thread request = new Thread(new Runnable() {
            @Override
            public void run() {
                requestScoped.set("the request's object");
                Object d = JettyDeferredResets.reserve(new Object(), stream, new ResetFrame(), null);
                deferral.set(d);
                assertTrue(JettyDeferredResets.schedule(d, 60000));
            }
        }, "request");
        request.setContextClassLoader(webapp);
        request.start();
        request.join(5000);
        assertNotNull(deferral.get(), "reserved");
        assertTrue(JettyDeferredResets.anyDeferred());

        Thread timer = await(TIMER, true);
        assertNotNull(timer, "the timer thread runs while a reset is held back");
        assertTrue(timer.isDaemon());
        assertNull(timer.getContextClassLoader(), "no context class loader, not the request thread's");
        assertEquals(1, stream.reset.getCount(), "not fired yet");

        JettyDeferredResets.stop();
        assertTrue(stream.reset.await(1, TimeUnit.SECONDS), "stop sends the held-back reset at once");
        assertFalse(JettyDeferredResets.anyDeferred(), "nothing held back after stop");
        timer.join(5000);
        assertFalse(timer.isAlive(), "stop ends the timer thread");
        assertFalse(JettyDeferredResets.hasTimers());
    }

    @Test
    void theTimerThreadEndsByItselfOnceNothingIsHeldBack() throws Exception {
        FakeStream stream = new FakeStream();
        Object d = JettyDeferredResets.reserve(new Object(), stream, new ResetFrame(), null);
        assertTrue(JettyDeferredResets.schedule(d, 10));
        assertTrue(stream.reset.await(5, TimeUnit.SECONDS), "fired at its time bound");
        Thread timer = stream.resetBy;
        assertEquals(TIMER, timer.getName());
        timer.join(JettyDeferredResets.TIMER_KEEP_ALIVE_MS + 5000);
        assertFalse(timer.isAlive(), "the idle timer thread ends after " + JettyDeferredResets.TIMER_KEEP_ALIVE_MS
                + " ms");

        // And a later deferral gets a timer again.
        FakeStream next = new FakeStream();
        Object again = JettyDeferredResets.reserve(new Object(), next, new ResetFrame(), null);
        assertTrue(JettyDeferredResets.schedule(again, 10));
        assertTrue(next.reset.await(5, TimeUnit.SECONDS), "fired at its time bound");
    }

    @Test
    void agentThreadsInheritNothingFromTheirCreator() throws Exception {
        final InheritableThreadLocal<Object> local = new InheritableThreadLocal<Object>();
        local.set("creator's");
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        Thread.currentThread().setContextClassLoader(new URLClassLoader(new URL[0], null));
        try {
            checkNewThread(local);
        } finally {
            Thread.currentThread().setContextClassLoader(before);
        }
    }

    private static void checkNewThread(final InheritableThreadLocal<Object> local) throws Exception {
        final AtomicReference<Object> seen = new AtomicReference<Object>("unset");
        Thread thread = AgentThreads.newThread(new Runnable() {
            @Override
            public void run() {
                seen.set(local.get());
            }
        }, "h2patch-test");
        assertTrue(thread.isDaemon());
        assertNull(thread.getContextClassLoader());
        assertNull(thread.getThreadGroup().getParent(), "the root thread group");
        thread.start();
        thread.join(5000);
        if (!System.getProperty("java.specification.version").startsWith("1.")) {
            assertNull(seen.get(), "no inherited thread-locals (Java 9+)");
        }
    }

    private static Thread await(String name, boolean alive) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().equals(name) && t.isAlive() == alive) {
                    return t;
                }
            }
            Thread.sleep(20);
        }
        return null;
    }
}
