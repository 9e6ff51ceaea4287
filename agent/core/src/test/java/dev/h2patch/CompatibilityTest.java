package dev.h2patch;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@link Compatibility#fits} runs inside the class file transformer, that is while the JVM loads a class and, for a
 * class loader that is not parallel-capable, while the loading thread holds that loader's lock.
 */
class CompatibilityTest {

    /** A fix with nothing to patch: it fits everywhere, so the check goes on to ask the loader for the helpers. */
    private static final Fix NOTHING_TO_PATCH = new Fix() {
        @Override
        public String name() {
            return "test-fix";
        }

        @Override
        public String library() {
            return "no library";
        }

        @Override
        public java.util.List<VersionRange> versions() {
            return java.util.Collections.singletonList(VersionRange.of("0", "1"));
        }

        @Override
        public List<TypePatch> patches() {
            return Collections.emptyList();
        }
    };

    /** Not parallel-capable: {@code loadClass} locks the loader itself, as many application servers' loaders do. */
    private static final class LockingLoader extends ClassLoader {
        LockingLoader(ClassLoader parent) {
            super(parent);
        }
    }

    /**
     * Thread B holds the parent loader's lock (it is loading a class there) and its class reaches the transformer;
     * thread A is checking a child loader, which delegates to that parent. A check that held a JVM-wide lock while it
     * asked the child loader would wait for B's loader while B waits for the check: a deadlock of the application.
     */
    @Test
    void aCheckNeverWaitsForAClassLoaderWhileHoldingItsOwnLock() throws Exception {
        Compatibility compatibility = new Compatibility(null);
        LockingLoader parent = new LockingLoader(CompatibilityTest.class.getClassLoader());
        LockingLoader child = new LockingLoader(parent);
        CountDownLatch parentLocked = new CountDownLatch(1);
        AtomicReference<Boolean> verdictA = new AtomicReference<>();
        AtomicReference<Boolean> verdictB = new AtomicReference<>();

        Thread a = new Thread(() -> {
            try {
                parentLocked.await();
                verdictA.set(compatibility.fits(NOTHING_TO_PATCH, Relocation.NONE, child));
            } catch (InterruptedException ignored) {
                // the test fails on the missing verdict
            }
        }, "check-child");
        Thread b = new Thread(() -> {
            synchronized (parent) {
                parentLocked.countDown();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                // Wait until A asks the parent loader (and so waits for this lock) from inside its check.
                while (a.getState() != Thread.State.BLOCKED && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                verdictB.set(compatibility.fits(NOTHING_TO_PATCH, Relocation.NONE, parent));
            }
        }, "check-parent");
        a.setDaemon(true);
        b.setDaemon(true);
        a.start();
        b.start();
        a.join(TimeUnit.SECONDS.toMillis(20));
        b.join(TimeUnit.SECONDS.toMillis(1));
        assertFalse(a.isAlive() || b.isAlive(), "deadlock: " + a.getName() + " " + a.getState() + ", "
                + b.getName() + " " + b.getState());
        assertTrue(verdictA.get() && verdictB.get(), "both loaders see the helper classes: " + verdictA + " " + verdictB);
    }
}
