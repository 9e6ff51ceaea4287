package dev.h2patch.bootstrap;

/**
 * The agent's switches as inlined advice reads them.
 *
 * <p>Fields are volatile rather than final so that a detach followed by a new attach with other options takes
 * effect; a volatile read is a plain load on the platforms that matter, so the hot paths pay nothing measurable.
 */
public final class H2patchRuntime {

    /** True in {@code mode=report}: advice counts what it would change and changes nothing. */
    public static volatile boolean reportOnly;

    private H2patchRuntime() {
    }
}
