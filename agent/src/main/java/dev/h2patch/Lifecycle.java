package dev.h2patch;

import dev.h2patch.bootstrap.JettyDeferredResets;

/**
 * What detach does to the helper classes besides restoring the bytecode, so that nothing of h2patch stays active in
 * the JVM: held-back Jetty resets are sent now and the Jetty reset timer thread ends
 * ({@link JettyDeferredResets#stop}), in both copies of the helpers (the system class loader's and, when it was injected, the bootstrap one).
 *
 * <p>What is deliberately left to finish on its own, each within its bound: a Netty deferred reset (a task on the
 * connection's own event loop, at most {@code reset-defer-ms}) and a Netty group drain under way (its
 * {@code h2patch-drain} thread, at most the application's shutdown timeout or {@code shutdown-drain-ms}; it then makes
 * the application's own {@code shutdownGracefully} call, which must not be lost).
 */
final class Lifecycle {

    private static final String BOOTSTRAP_JETTY_RESETS = "dev.h2patch.bootstrap.JettyDeferredResets";

    private Lifecycle() {
    }

    static void stopHelpers() {
        try {
            JettyDeferredResets.stop();
        } catch (Throwable t) {
            Log.warn("could not stop the Jetty reset timer (" + t + ")");
        }
        if (!BootstrapInjector.isVisibleFrom(null)) {
            return;
        }
        try {
            Class<?> copy = Class.forName(BOOTSTRAP_JETTY_RESETS, true, null);
            if (copy != JettyDeferredResets.class) {
                copy.getMethod("stop").invoke(null);
            }
        } catch (Throwable t) {
            Log.warn("could not stop the bootstrap copy's Jetty reset timer (" + t + ")");
        }
    }
}
