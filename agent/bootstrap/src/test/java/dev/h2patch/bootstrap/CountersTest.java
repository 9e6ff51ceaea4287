package dev.h2patch.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The counters {@code status} and the MBean show: each constant is the index of the name derived from it
 * ({@code END_STREAM_WOULD_FOLD} → {@code end-stream.would-fold}), every index has a name, no two share one.
 */
class CountersTest {

    private static final String[] FIXES = {"end-stream", "proxy-safe-reset", "connection-state", "early-settings"};

    @Test
    void everyConstantIsTheIndexOfItsOwnName() throws Exception {
        Set<Integer> indexes = new HashSet<Integer>();
        for (Field field : Counters.class.getDeclaredFields()) {
            int modifiers = field.getModifiers();
            if (field.getType() != int.class || !Modifier.isPublic(modifiers) || !Modifier.isStatic(modifiers)) {
                continue;
            }
            int index = field.getInt(null);
            assertTrue(indexes.add(index), field.getName() + " shares index " + index);
            assertTrue(index >= 0 && index < Counters.size(), field.getName() + " has no name: " + index);
            assertEquals(expectedName(field.getName()), Counters.name(index), field.getName());
        }
        assertEquals(Counters.size(), indexes.size(), "a name without a constant");
    }

    @Test
    void namesAreUniqueAndBelongToAFix() {
        Set<String> names = new HashSet<String>();
        for (int i = 0; i < Counters.size(); i++) {
            String name = Counters.name(i);
            assertTrue(names.add(name), "twice: " + name);
            String fix = name.substring(0, name.indexOf('.'));
            assertTrue(java.util.Arrays.asList(FIXES).contains(fix), name);
        }
    }

    @Test
    void incrementAddsOneToThatCounterOnly() {
        long folded = Counters.get(Counters.END_STREAM_FOLDED);
        long wouldFold = Counters.get(Counters.END_STREAM_WOULD_FOLD);
        Counters.increment(Counters.END_STREAM_FOLDED);
        Counters.increment(Counters.END_STREAM_FOLDED);
        assertEquals(folded + 2, Counters.get(Counters.END_STREAM_FOLDED));
        assertEquals(wouldFold, Counters.get(Counters.END_STREAM_WOULD_FOLD));
    }

    @Test
    void incrementsFromManyThreadsAreNotLost() throws Exception {
        int counter = Counters.CONNECTION_STATE_DRAIN_TIMEOUT;
        long before = Counters.get(counter);
        Thread[] threads = new Thread[4];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(new Runnable() {
                @Override
                public void run() {
                    for (int i = 0; i < 10000; i++) {
                        Counters.increment(counter);
                    }
                }
            });
            threads[t].start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        assertEquals(before + 40000, Counters.get(counter));
    }

    /** {@code PROXY_SAFE_RESET_DEFERRED_BYTES} → {@code proxy-safe-reset.deferred-bytes}. */
    private static String expectedName(String constant) {
        String dashed = constant.toLowerCase(Locale.ROOT).replace('_', '-');
        for (String fix : FIXES) {
            if (dashed.startsWith(fix + "-")) {
                return fix + "." + dashed.substring(fix.length() + 1);
            }
        }
        throw new AssertionError("a counter of no fix: " + constant);
    }
}
