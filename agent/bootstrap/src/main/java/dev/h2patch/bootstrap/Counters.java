package dev.h2patch.bootstrap;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * What the fixes did, per fix, since the agent was installed.
 *
 * <p>Advice increments a counter only when it changes something (or would, in report mode), never on the paths that
 * need no change, so contention here is not a concern.
 */
public final class Counters {

    /** end-stream: a response HEADERS got END_STREAM folded in (gRPC Trailers-Only, or HEADERS + empty DATA). */
    public static final int END_STREAM_FOLDED = 0;
    /** end-stream: in report mode, a response that would have been folded. */
    public static final int END_STREAM_WOULD_FOLD = 1;
    /** end-stream: an empty write that followed a folded HEADERS on the same stream, absorbed (nothing was lost). */
    public static final int END_STREAM_DROPPED_WRITES = 2;
    /** proxy-safe-reset: a reset after a complete response sent at once, with NO_ERROR instead of its code. */
    public static final int PROXY_SAFE_RESET_REWRITTEN = 3;
    /**
     * proxy-safe-reset: a reset after a complete response never sent: a deferred one whose client ended its request
     * within the bounds, or (Undertow) a finished stream's CANCEL, its response marked complete by the flush that
     * found its last frame sent.
     */
    public static final int PROXY_SAFE_RESET_AVOIDED = 4;
    /** proxy-safe-reset: a deferred reset sent as RST_STREAM(NO_ERROR) when the time bound passed. */
    public static final int PROXY_SAFE_RESET_DEFERRED_TIMEOUT = 5;
    /** proxy-safe-reset: a deferred reset sent as RST_STREAM(NO_ERROR) when the client sent more than the byte bound. */
    public static final int PROXY_SAFE_RESET_DEFERRED_BYTES = 6;
    /** proxy-safe-reset: a reset after a complete response held back while the client was still sending. */
    public static final int PROXY_SAFE_RESET_DEFERRED = 7;
    /** proxy-safe-reset: in report mode, a reset after a complete response that would have been deferred/rewritten. */
    public static final int PROXY_SAFE_RESET_WOULD_CHANGE = 8;
    /** connection-state: a stream in flight on a connection drained (GOAWAY, then wait) before its loops shut down. */
    public static final int CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN = 9;
    /**
     * connection-state: an idle event or read timeout held back because the connection had active streams (Netty:
     * and HEADERS or DATA moved within the handler's period, see IdleDeferral; Jetty: a closing session's idle
     * timeout, see JettyDrain).
     */
    public static final int CONNECTION_STATE_IDLE_DEFERRED = 10;
    /** connection-state: a drain whose bound passed with connections still open (the real shutdown closed them). */
    public static final int CONNECTION_STATE_DRAIN_TIMEOUT = 11;
    /** connection-state: in report mode, a shutdown or idle close that would have been deferred. */
    public static final int CONNECTION_STATE_WOULD_CHANGE = 12;
    /** early-settings: a server's preface SETTINGS were flushed as soon as they were written. */
    public static final int EARLY_SETTINGS_FLUSHED = 13;
    /** early-settings: in report mode, preface SETTINGS that would have been flushed at once. */
    public static final int EARLY_SETTINGS_WOULD_FLUSH = 14;
    /** early-settings: an empty SETTINGS frame sent for a connection a sniffer held after the client preface. */
    public static final int EARLY_SETTINGS_SENT = 15;
    /** early-settings: in report mode, a connection that would have been sent an empty SETTINGS frame. */
    public static final int EARLY_SETTINGS_WOULD_SEND = 16;
    /** early-settings: a client SETTINGS ACK for that empty SETTINGS, kept from Netty's settings accounting. */
    public static final int EARLY_SETTINGS_ACK_ABSORBED = 17;
    /**
     * connection-state: an idle event, read timeout or closing session's idle timeout delivered although the connection
     * was still working, because holding it back would pass {@code idle-defer-max-ms}.
     */
    public static final int CONNECTION_STATE_IDLE_CAPPED = 18;
    /** end-stream: a throwable caught in its advice (the fix did nothing on that call); see {@link AdviceFailures}. */
    public static final int END_STREAM_FAILED = 19;
    /** connection-state: a throwable caught in its advice; see {@link AdviceFailures}. */
    public static final int CONNECTION_STATE_FAILED = 20;
    /** early-settings: a throwable caught in its advice; see {@link AdviceFailures}. */
    public static final int EARLY_SETTINGS_FAILED = 21;
    /** proxy-safe-reset: a throwable caught in its advice; see {@link AdviceFailures}. */
    public static final int PROXY_SAFE_RESET_FAILED = 22;
    /**
     * end-stream: a write that carried bytes (or trailer fields) after a folded HEADERS on the same stream; it cannot
     * be sent after END_STREAM, so it failed (see {@link EndedStreams#afterEnd}).
     */
    public static final int END_STREAM_FAILED_WRITES = 23;

    private static final String[] NAMES = {
        "end-stream.folded",
        "end-stream.would-fold",
        "end-stream.dropped-writes",
        "proxy-safe-reset.rewritten",
        "proxy-safe-reset.avoided",
        "proxy-safe-reset.deferred-timeout",
        "proxy-safe-reset.deferred-bytes",
        "proxy-safe-reset.deferred",
        "proxy-safe-reset.would-change",
        "connection-state.streams-saved-shutdown",
        "connection-state.idle-deferred",
        "connection-state.drain-timeout",
        "connection-state.would-change",
        "early-settings.flushed",
        "early-settings.would-flush",
        "early-settings.sent",
        "early-settings.would-send",
        "early-settings.ack-absorbed",
        "connection-state.idle-capped",
        "end-stream.failed",
        "connection-state.failed",
        "early-settings.failed",
        "proxy-safe-reset.failed",
        "end-stream.failed-writes",
    };

    private static final AtomicLongArray VALUES = new AtomicLongArray(NAMES.length);

    private Counters() {
    }

    public static void increment(int counter) {
        VALUES.incrementAndGet(counter);
    }

    public static long get(int counter) {
        return VALUES.get(counter);
    }

    public static int size() {
        return NAMES.length;
    }

    public static String name(int counter) {
        return NAMES[counter];
    }
}
