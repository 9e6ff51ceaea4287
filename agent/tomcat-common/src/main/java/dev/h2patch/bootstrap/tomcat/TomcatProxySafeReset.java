package dev.h2patch.bootstrap.tomcat;

import dev.h2patch.bootstrap.ProxySafeReset;

/**
 * The decisions of the Tomcat proxy-safe-reset advice, for every Tomcat line (docs/fixes/proxy-safe-reset.md,
 * "Tomcat"; RFC 9113 §8.1): what becomes of a stream reset Tomcat asks for with {@code Stream.close(StreamException)}.
 * Plain values only: the error's {@code Http2Error} name and the stream's {@code StreamStateMachine} state name (the
 * same names on 9.0, 10.1 and 11.0); {@link TomcatDeferredResets} reads them from Tomcat's objects and keeps the held
 * resets.
 *
 * <p>Tomcat's stream processor resets every stream whose request body is still open when the servlet has completed
 * its response: {@code RST_STREAM(CANCEL)} up to 9.0.70 / 10.1.4, {@code RST_STREAM(NO_ERROR)} after. HAProxy 2.6
 * forwards either as CANCEL, often before the response (haproxy/haproxy#1219), so a client behind it loses a complete
 * answer. The reset of a stream whose response is complete (the stream is half-closed local: Tomcat sent END_STREAM,
 * the client has not) is held back while the client still sends, and when it has to go out it goes out as NO_ERROR.
 */
public final class TomcatProxySafeReset {

    /** Tomcat sends the reset as it was asked. */
    public static final int PASS = 0;
    /** The reset is held back: {@code Stream.close} is skipped, the deferral keeps the stream. */
    public static final int HOLD = 1;
    /** Tomcat sends the reset now, as {@code RST_STREAM(NO_ERROR)}: the advice replaces the exception. */
    public static final int NO_ERROR = 2;

    /** The stream state in which Tomcat has sent the response's END_STREAM and the client has not ended its request. */
    static final String HALF_CLOSED_LOCAL = "HALF_CLOSED_LOCAL";

    private static final String[] ERROR_NAMES = {"NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR",
        "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL",
        "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"};

    private TomcatProxySafeReset() {
    }

    /** The RFC 9113 §7 code of an {@code Http2Error} name (Tomcat's enum uses the RFC's names), -1 if unknown. */
    public static long code(String errorName) {
        for (int i = 0; i < ERROR_NAMES.length; i++) {
            if (ERROR_NAMES[i].equals(errorName)) {
                return i;
            }
        }
        return -1;
    }

    /**
     * A stream reset asked with {@code Stream.close(StreamException)}.
     *
     * @param errorName the exception's {@code Http2Error} name
     * @param stateName the stream's state name ({@code StreamStateMachine}'s private {@code state})
     * @param held      a reset of this stream is already held back (another close while it waits: it goes out now)
     * @return {@link #PASS}, {@link #HOLD} or {@link #NO_ERROR}
     */
    public static int onClose(String errorName, String stateName, boolean held) {
        long code = code(errorName);
        if (code < 0) {
            return PASS;
        }
        if (held) {
            // Another reset while one is held back (a timeout, a failure): it goes out now, as NO_ERROR.
            return code == ProxySafeReset.NO_ERROR ? PASS : NO_ERROR;
        }
        if (!HALF_CLOSED_LOCAL.equals(stateName)) {
            // The response is not complete (an abort), or the client has ended too: Tomcat's reset is its own.
            return PASS;
        }
        return ProxySafeReset.changes(code, false) ? HOLD : PASS;
    }

    /**
     * After {@link #HOLD}, when no deferral could be reserved (the connection's limit): the reset goes out at once,
     * as NO_ERROR ({@link #NO_ERROR}, counted as rewritten) or, if it already was NO_ERROR, as it is ({@link #PASS}).
     */
    public static int cannotHold(String errorName) {
        long code = code(errorName);
        return ProxySafeReset.codeSentAtOnce(code) != code ? NO_ERROR : PASS;
    }

    /**
     * What a DATA frame of {@code payload} bytes on a stream whose reset is held back costs against
     * {@code reset-defer-bytes}: its payload, and at least Tomcat's {@code overheadDataThreshold} (1024 by default) for
     * a non-final frame. Tomcat's overhead protection counts small non-final DATA frames against the connection and
     * closes it with GOAWAY(ENHANCE_YOUR_CALM) past a limit (seen with Node's http2 client, 5-byte messages, 59 ms
     * after the answer on 11.0.29); a held stream's frames are kept out of that count
     * ({@code TomcatDeferredResets.exemptFromOverhead}), so they are charged here as frames of the threshold's size,
     * which Tomcat never counts: a client sending small frames gets no more frames past the answer than one uploading
     * {@code reset-defer-bytes} in frames of that size (1024 frames with the defaults).
     */
    public static long chargedBytes(long payload, boolean endOfStream, int overheadDataThreshold) {
        return endOfStream ? payload : Math.max(payload, overheadDataThreshold);
    }
}
