package dev.h2patch.bootstrap.fake;

/** Stands in for Jetty's {@code ResetFrame}: {@code JettyDeferredResets} finds {@code reset} by this simple name. */
public final class ResetFrame {
}
