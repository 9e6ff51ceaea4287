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

    /**
     * proxy-safe-reset: how long, in milliseconds, a reset after a complete response is held back while the client is
     * still sending (option {@code reset-defer-ms}).
     */
    public static volatile long resetDeferMillis = 2000;

    /**
     * proxy-safe-reset: how many request bytes a client may send on such a stream, discarded, before the reset is
     * sent anyway (option {@code reset-defer-bytes}).
     */
    public static volatile long resetDeferBytes = 1 << 20;

    /**
     * connection-state: the longest, in milliseconds, HTTP/2 connections are drained before a Netty event loop group
     * shuts down (the application's own positive timeout bounds it too; {@code shutdownGracefully(0, 0, unit)} is not
     * drained), and the longest a closing Jetty session's idle timeout is held back (option {@code shutdown-drain-ms}).
     */
    public static volatile long shutdownDrainMillis = 30000;

    /**
     * early-settings: whether the sniffer part (the empty SETTINGS frame written for a port sniffer that holds the
     * client preface: Netty's pipeline head, Jetty's {@code DetectorConnectionFactory}) may write at all (option
     * {@code early-settings-sniffers}); the preface flush and Jetty's SETTINGS at connection open do not depend on it.
     */
    public static volatile boolean earlySettingsSniffers = true;

    /**
     * connection-state: the most, in milliseconds, that the idle events of one connection's idle handler (Netty) or
     * one closing session's idle timeouts (Jetty) are held back in total (option {@code idle-defer-max-ms}).
     */
    public static volatile long idleDeferMaxMillis = 300000;

    /**
     * Java 9+, set by the agent while it is installed (null on Java 8 and after detach): opens the package of the
     * first class to the module of the second, a helper class, so that a helper can read the fields of an
     * application's port sniffer on the module path ({@link SnifferEvidence}). Never used for the JDK's modules.
     */
    public static volatile java.util.function.BiConsumer<Class<?>, Class<?>> moduleOpener;

    private H2patchRuntime() {
    }

    /**
     * The report-mode decision every fix makes before it changes anything: in {@code mode=report}, counts
     * {@code wouldCounter} (one of the {@code *_WOULD_*} {@link Counters}) and returns true, and the caller changes
     * nothing; otherwise returns false and counts nothing (the caller counts what it then does).
     */
    public static boolean reportsOnly(int wouldCounter) {
        if (!reportOnly) {
            return false;
        }
        Counters.increment(wouldCounter);
        return true;
    }
}
