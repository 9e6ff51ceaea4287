package dev.h2patch;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The stable fix names, as used in configuration, logs and docs.
 *
 * <p>They live here, beside {@link Fix}, so that the fixes compiled in their own modules (one per library line, e.g.
 * the Jetty ones) can name themselves without depending on the agent; the agent's {@code Fixes} registry re-exports
 * them.
 */
public final class FixNames {

    public static final String END_STREAM = "end-stream";
    public static final String CONNECTION_STATE = "connection-state";
    public static final String EARLY_SETTINGS = "early-settings";
    public static final String PROXY_SAFE_RESET = "proxy-safe-reset";

    /** Every fix name, in the order the docs list them. */
    public static final List<String> NAMES = Collections.unmodifiableList(
            Arrays.asList(END_STREAM, CONNECTION_STATE, EARLY_SETTINGS, PROXY_SAFE_RESET));

    private FixNames() {
    }
}
