package dev.h2patch;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The premain warm-up runs the real check and weave, and its thread ends (docs/performance.md). */
class WeaverWarmUpTest {

    @Test
    void theWarmUpWeavesItsOwnTargetWithTheAdviceTheFixesUse() throws Exception {
        // A weave that inlined nothing would return the class file unchanged, about 700 bytes.
        int woven = WeaverWarmUp.warmUp();
        byte[] original = WeaverWarmUp.class.getClassLoader()
                .getResourceAsStream(WeaverWarmUp.Target.class.getName().replace('.', '/') + ".class").readAllBytes();
        assertTrue(woven > original.length + 100, "woven " + woven + " bytes from " + original.length);
    }

    @Test
    void theWarmUpThreadEnds() throws Exception {
        WeaverWarmUp.Handle handle = WeaverWarmUp.start();
        // Alive until the hand-over below at least (it waits for it), so a thread that never started fails here.
        assertTrue(warmUpThreadAlive(), "the h2patch-warmup thread runs");
        handle.installerReady(null);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (warmUpThreadAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(warmUpThreadAlive(), "the h2patch-warmup thread has ended");
    }

    @Test
    void theWarmUpThreadWaitsForPremainsHandOverThenEnds() throws Exception {
        WeaverWarmUp.Handle handle = WeaverWarmUp.start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!waitingForHandOver() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(waitingForHandOver(), "after its own weave the thread waits for premain's installer");
        } finally {
            handle.installerReady(null);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (warmUpThreadAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(warmUpThreadAlive(), "the h2patch-warmup thread has ended once handed nothing to weave ahead");
    }

    private static boolean waitingForHandOver() {
        for (Map.Entry<Thread, StackTraceElement[]> thread : Thread.getAllStackTraces().entrySet()) {
            if (thread.getKey().getName().equals("h2patch-warmup")) {
                for (StackTraceElement frame : thread.getValue()) {
                    if (frame.getClassName().equals(WeaverWarmUp.Handle.class.getName())
                            && frame.getMethodName().equals("await")) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    private static boolean warmUpThreadAlive() {
        for (Thread thread : Thread.getAllStackTraces().keySet()) {
            if (thread.getName().equals("h2patch-warmup") && thread.isAlive()) {
                return true;
            }
        }
        return false;
    }
}
