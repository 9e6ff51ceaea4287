package dev.h2patch;

import java.util.LinkedHashSet;
import java.util.Set;

/**
 * What detach does to the helper classes besides restoring the bytecode, so that nothing of h2patch stays active in
 * the JVM: each fix names the helpers that still hold something of its own ({@link Fix#helpersToStopOnDetach}: held-back
 * resets go out now, a timer thread ends), and their {@code stop()} is called in both copies of the helpers (the system
 * class loader's and, when it was injected, the bootstrap one). The core names no helper: a new library's module
 * declares its own.
 *
 * <p>What is deliberately left to finish on its own, within its bound: a Netty group drain under way (its
 * {@code h2patch-drain} thread, at most the application's shutdown timeout or {@code shutdown-drain-ms}; it then makes
 * the application's own {@code shutdownGracefully} call, which must not be lost).
 */
final class Lifecycle {

    private Lifecycle() {
    }

    static void stopHelpers() {
        Set<String> helpers = new LinkedHashSet<String>();
        for (Fix fix : Fixes.all()) {
            helpers.addAll(fix.helpersToStopOnDetach());
        }
        for (String helper : helpers) {
            stop(helper);
        }
    }

    /** Calls {@code stop()} on the agent's copy of {@code name} and, when it was injected, the bootstrap copy. */
    private static void stop(String name) {
        Class<?> helper = null;
        try {
            helper = Class.forName(name, true, Lifecycle.class.getClassLoader());
            helper.getMethod("stop").invoke(null);
        } catch (Throwable t) {
            Log.warn("could not stop " + name + " (" + t + ")");
        }
        if (!BootstrapInjector.isVisibleFrom(null)) {
            return;
        }
        try {
            Class<?> copy = Class.forName(name, true, null);
            if (copy != helper) {
                copy.getMethod("stop").invoke(null);
            }
        } catch (Throwable t) {
            Log.warn("could not stop the bootstrap copy of " + name + " (" + t + ")");
        }
    }
}
