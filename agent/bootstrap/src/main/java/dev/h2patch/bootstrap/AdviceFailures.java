package dev.h2patch.bootstrap;

import java.io.PrintStream;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;

/**
 * Where every throwable an inlined advice catches ends up: counted per fix ({@code <fix>.failed}, shown by
 * {@code status} and the MBean) and reported once per fix and class loader with one WARN line on stderr.
 *
 * <p>Why: every advice suppresses its throwables so that a bug in the agent never reaches the application, but a
 * suppressed throwable also means the fix did nothing on that call. Before this class existed such failures were
 * silent: on the module path every call of an advice could fail ({@code IllegalAccessError}: a library module that
 * does not read another) while the log and {@code status} still said "active".
 *
 * <p>The advice weaver ({@code AdviceWeaver}) makes each advice's exception handler call
 * {@link #failed(Throwable, String, Class)} with the throwable, the fix's name and the patched class. This class uses
 * java.* only (it may sit on the bootstrap class path) and never throws: a failure here must not reach the
 * application either. The line has the prefix the agent's own logger prints ({@code WARN h2patch - }); the agent's
 * logger itself cannot be used here, since these classes may be loaded by the bootstrap class loader.
 */
public final class AdviceFailures {

    /** The fixes, in the order of their {@code *_FAILED} counters. */
    private static final String[] FIXES = {"end-stream", "connection-state", "early-settings", "proxy-safe-reset"};
    private static final int[] COUNTERS = {
        Counters.END_STREAM_FAILED, Counters.CONNECTION_STATE_FAILED, Counters.EARLY_SETTINGS_FAILED,
        Counters.PROXY_SAFE_RESET_FAILED,
    };

    private static final Object BOOTSTRAP_LOADER = new Object();

    /** Per class loader (weakly held), the fixes already reported there. */
    private static final Map<Object, Set<String>> REPORTED = new WeakHashMap<Object, Set<String>>();

    /** Where the WARN lines go; stderr, replaceable in tests. */
    static volatile PrintStream out = System.err;

    private AdviceFailures() {
    }

    /**
     * Called by the exception handler of an advice of {@code fix} inlined into {@code patched}, with what the advice
     * threw. Counts it, and prints one WARN line the first time {@code fix} fails in {@code patched}'s class loader.
     */
    public static void failed(Throwable thrown, String fix, Class<?> patched) {
        try {
            int counter = counterOf(fix);
            if (counter >= 0) {
                Counters.increment(counter);
            }
            ClassLoader loader = patched == null ? null : patched.getClassLoader();
            if (firstIn(loader, fix)) {
                out.println("WARN h2patch - " + describe(thrown, fix, patched, loader));
            }
        } catch (Throwable ignored) {
            // Reporting must never reach the application.
        }
    }

    /**
     * Forgets which fixes were reported in which class loaders (on detach): after a new attach, a failure is reported
     * again. The counters are not reset; the agent shows them relative to its installation.
     */
    public static void forgetReported() {
        synchronized (REPORTED) {
            REPORTED.clear();
        }
    }

    /** The counter of {@code fix}'s failures, or -1 for a name that is not a fix. */
    static int counterOf(String fix) {
        for (int i = 0; i < FIXES.length; i++) {
            if (FIXES[i].equals(fix)) {
                return COUNTERS[i];
            }
        }
        return -1;
    }

    /** True the first time it is asked for this fix and class loader. */
    static boolean firstIn(ClassLoader loader, String fix) {
        Object key = loader == null ? BOOTSTRAP_LOADER : loader;
        synchronized (REPORTED) {
            Set<String> fixes = REPORTED.get(key);
            if (fixes == null) {
                fixes = new HashSet<String>();
                REPORTED.put(key, fixes);
            }
            return fixes.add(fix);
        }
    }

    static String describe(Throwable thrown, String fix, Class<?> patched, ClassLoader loader) {
        return fix + ": its advice in " + (patched == null ? "?" : patched.getName()) + " failed and the fix did"
                + " nothing on that call: " + withCause(thrown) + " (in " + (loader == null
                ? "the bootstrap class loader" : loader.toString()) + "; counted in " + fix
                + ".failed, reported once per fix and class loader)";
    }

    /**
     * {@code thrown}, its innermost cause and where that was thrown: a helper that reaches a library by reflection
     * fails with an {@code InvocationTargetException} whose own text says nothing, and this line is all an operator
     * can send us.
     */
    static String withCause(Throwable thrown) {
        if (thrown == null) {
            return "null";
        }
        Throwable root = thrown;
        for (int i = 0; i < 10 && root.getCause() != null && root.getCause() != root; i++) {
            root = root.getCause();
        }
        StringBuilder s = new StringBuilder(String.valueOf(thrown));
        if (root != thrown) {
            s.append(", caused by ").append(root);
        }
        StackTraceElement[] trace = root.getStackTrace();
        if (trace != null && trace.length > 0) {
            s.append(" at ").append(trace[0]);
        }
        return s.toString();
    }
}
