package dev.h2patch.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URL;
import java.net.URLClassLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdviceFailuresTest {

    private final ByteArrayOutputStream printed = new ByteArrayOutputStream();
    private PrintStream original;

    @BeforeEach
    void capture() {
        original = AdviceFailures.out;
        AdviceFailures.out = new PrintStream(printed, true);
    }

    @AfterEach
    void restore() {
        AdviceFailures.out = original;
    }

    private String[] lines() {
        String text = new String(printed.toByteArray()).trim();
        return text.isEmpty() ? new String[0] : text.split("\\R");
    }

    @Test
    void everyFailureIsCountedPerFix() {
        long endStream = Counters.get(Counters.END_STREAM_FAILED);
        long earlySettings = Counters.get(Counters.EARLY_SETTINGS_FAILED);
        for (int i = 0; i < 3; i++) {
            AdviceFailures.failed(new IllegalAccessError("no read edge"), "early-settings", Thread.class);
        }
        AdviceFailures.failed(new NullPointerException(), "end-stream", Thread.class);
        assertEquals(earlySettings + 3, Counters.get(Counters.EARLY_SETTINGS_FAILED));
        assertEquals(endStream + 1, Counters.get(Counters.END_STREAM_FAILED));
    }

    @Test
    void warnsOncePerFixAndClassLoaderWithTheMessage() throws Exception {
        // Classes of two fresh loaders, so that no other test has reported for them yet.
        Class<?> first = freshClass();
        Class<?> second = freshClass();
        AdviceFailures.failed(new IllegalAccessError("module a does not read module b"), "connection-state", first);
        AdviceFailures.failed(new IllegalAccessError("module a does not read module b"), "connection-state", first);
        AdviceFailures.failed(new IllegalStateException("other"), "proxy-safe-reset", first);
        AdviceFailures.failed(new IllegalAccessError("module a does not read module b"), "connection-state", second);
        String[] lines = lines();
        assertEquals(3, lines.length, String.join("\n", lines));
        assertTrue(lines[0].startsWith("WARN h2patch - connection-state: its advice in " + first.getName()), lines[0]);
        assertTrue(lines[0].contains("java.lang.IllegalAccessError: module a does not read module b"), lines[0]);
        assertTrue(lines[0].contains("connection-state.failed"), lines[0]);
        assertTrue(lines[1].startsWith("WARN h2patch - proxy-safe-reset: "), lines[1]);
        assertTrue(lines[2].contains(second.getClassLoader().toString()), lines[2]);
    }

    @Test
    void afterForgettingAFailureIsReportedAgain() throws Exception {
        Class<?> patched = freshClass();
        AdviceFailures.failed(new IllegalStateException("one"), "end-stream", patched);
        AdviceFailures.forgetReported();
        AdviceFailures.failed(new IllegalStateException("two"), "end-stream", patched);
        assertEquals(2, lines().length);
    }

    @Test
    void aReflectiveFailureNamesItsCauseAndWhereItWasThrown() throws Exception {
        java.lang.reflect.Method throwing = AdviceFailuresTest.class.getDeclaredMethod("throwIo");
        Throwable thrown = null;
        try {
            throwing.invoke(null);
        } catch (java.lang.reflect.InvocationTargetException e) {
            thrown = e;
        }
        AdviceFailures.failed(thrown, "proxy-safe-reset", freshClass());
        String line = lines()[0];
        assertTrue(line.contains("java.lang.reflect.InvocationTargetException, caused by java.io.IOException:"
                + " closed stream at " + AdviceFailuresTest.class.getName() + ".throwIo("), line);
    }

    static void throwIo() throws java.io.IOException {
        throw new java.io.IOException("closed stream");
    }

    @Test
    void neverThrows() {
        PrintStream broken = new PrintStream(new ByteArrayOutputStream()) {
            @Override
            public void println(String x) {
                throw new IllegalStateException("stderr is broken");
            }
        };
        AdviceFailures.out = broken;
        long before = Counters.get(Counters.END_STREAM_FAILED);
        AdviceFailures.failed(new RuntimeException("x"), "end-stream", null);
        AdviceFailures.failed(null, "not-a-fix", null);
        assertEquals(before + 1, Counters.get(Counters.END_STREAM_FAILED));
    }

    @Test
    void unknownNamesHaveNoCounter() {
        assertEquals(-1, AdviceFailures.counterOf("nonsense"));
        assertEquals(Counters.PROXY_SAFE_RESET_FAILED, AdviceFailures.counterOf("proxy-safe-reset"));
        assertEquals("proxy-safe-reset.failed", Counters.name(Counters.PROXY_SAFE_RESET_FAILED));
        assertEquals("end-stream.failed", Counters.name(Counters.END_STREAM_FAILED));
    }

    private static Class<?> freshClass() throws Exception {
        URL classes = AdviceFailuresTest.class.getProtectionDomain().getCodeSource().getLocation();
        ClassLoader loader = new URLClassLoader(new URL[] {classes}, null);
        return Class.forName(Helper.class.getName(), false, loader);
    }

    static final class Helper {
    }
}
