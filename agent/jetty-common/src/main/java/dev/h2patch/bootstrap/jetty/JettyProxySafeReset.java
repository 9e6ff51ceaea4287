package dev.h2patch.bootstrap.jetty;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.EndedStreams;
import dev.h2patch.bootstrap.H2patchRuntime;
import dev.h2patch.bootstrap.ProxySafeReset;

/**
 * The decisions of the Jetty proxy-safe-reset advice, for every Jetty line (docs/fixes/proxy-safe-reset.md, "Jetty",
 * "The fix"; RFC 9113 §8.1). The advice reads Jetty's stream and frames, asks here, and does what the answer names;
 * the deferrals themselves are {@link JettyDeferredResets}. No Jetty type here: the lines differ in signatures, so
 * everything arrives as plain values.
 *
 * <p>On {@code HTTP2Stream.reset(ResetFrame, Callback)}: {@link #concerns} (the fast path), then {@link #onReset};
 * when that says {@link #DEFER}, the advice reserves a deferral ({@link JettyDeferredResets#reserve}), marks the stream
 * with it and gives the stream the line's discarding listener, then asks {@link #hold}. On every inbound frame of a
 * marked stream: {@link #onFrame}.
 */
public final class JettyProxySafeReset {

    /** Jetty sends the reset as it was asked. */
    public static final int PASS = 0;
    /** Jetty sends the reset as {@code RST_STREAM(NO_ERROR)}: the advice replaces the frame. */
    public static final int NO_ERROR = 1;
    /** The reset is to be held back: the advice reserves a deferral, prepares the stream, then asks {@link #hold}. */
    public static final int DEFER = 2;
    /** Nothing is sent (held back, or dropped): the advice succeeds the reset's callback and skips the method. */
    public static final int SKIP = 3;

    private JettyProxySafeReset() {
    }

    /**
     * Whether a reset needs {@link #onReset} at all. False on the common path, an abort of a stream whose response is
     * not complete while nothing is held back anywhere in the JVM: one volatile read.
     */
    public static boolean concerns(boolean locallyClosed, boolean closed) {
        return locallyClosed || closed || JettyDeferredResets.anyDeferred();
    }

    /**
     * A reset asked for a stream.
     *
     * @param locallyClosed the stream is locally closed: Jetty sets that state once the frame carrying the response's
     *                      END_STREAM was written, so the response is complete and a reset cannot overtake it
     * @param closed        the stream is closed on both sides
     * @param code          the reset's error code
     * @param deferral      the stream's {@link JettyDeferredResets#STREAM_ATTRIBUTE}, null if its reset is not held
     * @param ended         the stream's {@link EndedStreams#STREAM_ATTRIBUTE}, null unless the end-stream fix ended
     *                      it
     * @return {@link #PASS}, {@link #NO_ERROR}, {@link #DEFER} or {@link #SKIP}
     */
    public static int onReset(boolean locallyClosed, boolean closed, int code, Object deferral, Object ended) {
        if (!locallyClosed) {
            // An abort passes unchanged. But a reset of a stream that closed after its reset was held back is dropped:
            // the held-back one fired (it was sent, or the stream closed meanwhile) or ended (the client's END_STREAM
            // or reset), so no reset is ever sent for a stream that ended normally — not even Jetty's own reset asked
            // again (isRepeat) after the client's END_STREAM. So is Jetty's abort of a stream the end-stream fix ended,
            // after a late write failed (docs/fixes/end-stream.md, "Writes after the fold").
            if (deferral != null && closed && !JettyDeferredResets.isHeld(deferral)
                    || EndedStreams.dropResetOfClosed(closed, ended)) {
                return SKIP;
            }
            return PASS;
        }
        if (deferral != null) {
            if (JettyDeferredResets.isRepeat(deferral, code)) {
                // The held-back reset asked again (Jetty 12 before jetty/jetty.project#13814 completes the exchange
                // twice): it stays held back, under the same bounds; this one is dropped.
                return SKIP;
            }
            // Fired at a bound, or another reset (idle timeout, shutdown) while held back: it goes out now, NO_ERROR.
            JettyDeferredResets.fireNow(deferral);
            return code != ProxySafeReset.NO_ERROR ? NO_ERROR : PASS;
        }
        // A stream's first reset of a complete response is held back; any later one is handled above.
        return ProxySafeReset.changes(code, false) ? DEFER : PASS;
    }

    /**
     * After {@link #DEFER}: {@code deferral} is what {@link JettyDeferredResets#reserve} returned (null when the
     * connection has no slot left), {@code code} the reset's error code. Starts the deferral's time bound
     * ({@code reset-defer-ms}), remembers {@code code} (the same reset asked again while held back is dropped, see
     * {@link #onReset}) and returns {@link #SKIP} (held back); when it cannot be held, the reset goes out at
     * once: {@link #NO_ERROR} (counted as rewritten) or, if it already was NO_ERROR, {@link #PASS}.
     */
    public static int hold(Object deferral, int code) {
        if (deferral == null || !JettyDeferredResets.schedule(deferral, H2patchRuntime.resetDeferMillis, code)) {
            return code != ProxySafeReset.codeSentAtOnce(code) ? NO_ERROR : PASS;
        }
        Counters.increment(Counters.PROXY_SAFE_RESET_DEFERRED);
        return SKIP;
    }

    /**
     * An inbound frame of a stream whose reset is held back ({@code deferral}), before Jetty handles it. Request DATA
     * ({@code bytes}: payload and padding) counts against {@code reset-defer-bytes}; the client's END_STREAM (DATA or
     * trailers) ends the deferral with no reset (Jetty closes the stream itself); a client reset or a stream failure
     * drops it. Returns true once, when the byte bound passes: the advice then sends {@code RST_STREAM(NO_ERROR)} now.
     *
     * @param type the frame's {@code FrameType} name ({@code DATA}, {@code HEADERS}, {@code RST_STREAM},
     *             {@code FAILURE}, ...: the same names on every Jetty line)
     */
    public static boolean onFrame(Object deferral, String type, long bytes, boolean endStream) {
        if ("DATA".equals(type)) {
            return JettyDeferredResets.onInbound(deferral, bytes, endStream) == JettyDeferredResets.FIRE;
        }
        if ("HEADERS".equals(type)) {
            if (endStream) {
                JettyDeferredResets.onInbound(deferral, 0, true);
            }
        } else if ("RST_STREAM".equals(type) || "FAILURE".equals(type)) {
            JettyDeferredResets.onClosed(deferral);
        }
        return false;
    }
}
