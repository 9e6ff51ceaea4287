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
    /** end-stream: a write that followed a folded HEADERS on the same stream, dropped safely. */
    public static final int END_STREAM_DROPPED_WRITES = 2;

    private static final String[] NAMES = {
        "end-stream.folded",
        "end-stream.would-fold",
        "end-stream.dropped-writes",
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
