package dev.h2patch;

import dev.h2patch.bootstrap.DeferredResets;
import dev.h2patch.bootstrap.JettyDeferredResets;

/**
 * What detach does to the helper classes besides restoring the bytecode, so that nothing of h2patch stays active in
 * the JVM: held-back Jetty resets are sent now and the Jetty reset timer thread ends
 * ({@link JettyDeferredResets#stop}); held-back Netty resets are sent now, each on its connection's event loop
 * ({@link DeferredResets#stop}). Both in both copies of the helpers (the system class loader's and, when it was
 * injected, the bootstrap one).
 *
 * <p>What is deliberately left to finish on its own, within its bound: a Netty group drain under way (its
 * {@code h2patch-drain} thread, at most the application's shutdown timeout or {@code shutdown-drain-ms}; it then makes
 * the application's own {@code shutdownGracefully} call, which must not be lost).
 */
final class Lifecycle {

    private Lifecycle() {
    }

    static void stopHelpers() {
        stop(JettyDeferredResets.class, "dev.h2patch.bootstrap.JettyDeferredResets");
        stop(DeferredResets.class, "dev.h2patch.bootstrap.DeferredResets");
    }

    /** Calls {@code stop()} on the system class loader's copy and, when it was injected, the bootstrap copy. */
    private static void stop(Class<?> helper, String name) {
        try {
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
