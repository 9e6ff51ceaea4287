package dev.h2patch.bootstrap;

/**
 * The decisions of the proxy-safe-reset fix that are the same in every library (docs/fixes/proxy-safe-reset.md, "The
 * fix"): which resets after a complete response it changes at all, and what a reset it cannot hold back is sent with.
 * The state of held-back resets is each library's ({@link DeferredResets} for Netty, {@code JettyDeferredResets} for
 * Jetty); this class keeps none.
 *
 * <p>Why: RFC 9113 §8.1 lets a server that has sent a complete response stop the client's upload with
 * RST_STREAM(NO_ERROR), and the client must not discard the response; but a proxy such as HAProxy 2.6 forwards any
 * such server reset as CANCEL (haproxy/haproxy#1219), and gRPC clients then report CANCELLED. So a reset of a stream
 * whose response is complete is held back while the client is still sending and, when it is sent, it is sent as
 * NO_ERROR.
 */
public final class ProxySafeReset {

    /** RST_STREAM error code NO_ERROR (RFC 9113 §7). */
    public static final long NO_ERROR = 0x0;

    private ProxySafeReset() {
    }

    /**
     * Whether {@code errorCode} is one the libraries use for the client's own protocol violations on the stream:
     * PROTOCOL_ERROR (0x1), FLOW_CONTROL_ERROR (0x3), STREAM_CLOSED (0x5), FRAME_SIZE_ERROR (0x6) (RFC 9113 §7). Such a
     * reset is not the server losing interest in the upload; the client must hear it as it is.
     */
    public static boolean isClientsFault(long errorCode) {
        return errorCode == 0x1 || errorCode == 0x3 || errorCode == 0x5 || errorCode == 0x6;
    }

    /**
     * Whether the fix changes (holds back, or rewrites to NO_ERROR) a reset asked for on a stream whose response is
     * complete. Not when the code is the client's fault ({@link #isClientsFault}) or the library has already sent a
     * reset on the stream; and not in report mode, where such a reset is counted as
     * {@code proxy-safe-reset.would-change} instead.
     */
    public static boolean changes(long errorCode, boolean resetAlreadySent) {
        if (isClientsFault(errorCode) || resetAlreadySent) {
            return false;
        }
        return !H2patchRuntime.reportsOnly(Counters.PROXY_SAFE_RESET_WOULD_CHANGE);
    }

    /**
     * The code a reset that {@link #changes} but cannot be held back (the connection's limit of held-back resets, a
     * loop or timer that refuses the deferral, a handler whose inbound DATA cannot be discarded) is sent with at once:
     * always NO_ERROR; counted as {@code proxy-safe-reset.rewritten} when that differs from {@code errorCode}.
     */
    public static long codeSentAtOnce(long errorCode) {
        if (errorCode != NO_ERROR) {
            Counters.increment(Counters.PROXY_SAFE_RESET_REWRITTEN);
        }
        return NO_ERROR;
    }
}
