package dev.h2patch.bootstrap;

import java.util.Arrays;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * connection-state for Netty: decides, once per idle period, whether a reader-idle or all-idle event (or a read
 * timeout) of an HTTP/2 server connection with active streams is held back (docs/fixes/connection-state.md, "Idle,
 * before and after"; netty#12660).
 *
 * <p>The rule: an event is held back only while the connection is doing work — streams are active and HEADERS or DATA
 * moved on it since the handler's previous event, i.e. within the handler's own period (the handler re-fires exactly
 * one period after an event while nothing is read). PING, SETTINGS and WINDOW_UPDATE are not work. The evidence of
 * movement is a fingerprint of the connection's progress that the advice reads when the event fires (stream counts and
 * ids, the connection's two flow-control windows, the newest stream's state and window): DATA sent shrinks the send
 * window, DATA received the receive window, a new stream moves the ids, a stream's end changes the counts. An unchanged
 * fingerprint means no such frame was seen: the event is delivered.
 *
 * <p>No per-frame hook: the price is that the first event of a handler with streams active has no previous
 * fingerprint to compare with, so it is held back once, whatever happened before it. A connection where nothing moves
 * therefore gets its event at most one period late.
 *
 * <p>The bound: the periods held back per idle handler (one handler belongs to one connection) add up to at most
 * {@code idle-defer-max-ms} ({@link H2patchRuntime#idleDeferMaxMillis}): an event is held back only if the total so far
 * plus this period stays within it; the total is never reset.
 *
 * <p>Handlers are weak keys: a closed connection's handler and its record go with it.
 */
public final class IdleDeferral {

    /** Idle handler (weak key) → its record. */
    private static final Map<Object, Record> RECORDS = new WeakHashMap<Object, Record>();

    private IdleDeferral() {
    }

    /** {@link #periodOf}: the event is never held back. */
    public static final long NEVER = -1;

    /**
     * Which idle events may be held back, and their period: a reader-idle event (a read timeout is one) has the
     * handler's reader period, an all-idle event its all-idle period; any other event — writer-idle, from which
     * applications send their keepalive PINGs — is {@link #NEVER} held back.
     */
    public static long periodOf(boolean readerIdle, boolean allIdle, long readerMillis, long allMillis) {
        if (readerIdle) {
            return readerMillis;
        }
        return allIdle ? allMillis : NEVER;
    }

    /**
     * The bound every connection-state deferral of idle events shares (Netty's idle handlers, Jetty's closing
     * sessions): one more period held back is allowed only while the total held back so far plus that period stays
     * within {@code idle-defer-max-ms} ({@link H2patchRuntime#idleDeferMaxMillis}).
     */
    public static boolean withinCap(long heldMillis, long periodMillis) {
        return withinCap(heldMillis, periodMillis, H2patchRuntime.idleDeferMaxMillis);
    }

    static boolean withinCap(long heldMillis, long periodMillis, long capMillis) {
        return heldMillis + Math.max(0, periodMillis) <= capMillis;
    }

    /**
     * Called by the advice when a reader-idle / all-idle event or a read timeout fires on an HTTP/2 server connection
     * with {@code activeStreams > 0}. Returns true when the event must be held back (the method is skipped); counts
     * what it did. In report mode it always returns false and counts what it would have held back.
     *
     * @param handler      the idle handler (key of its record; held weakly)
     * @param periodMillis the handler's period for this event (its next event comes this much later)
     * @param progress     the connection's progress fingerprint, read by the advice (not kept; copied)
     */
    public static boolean holdBack(Object handler, long periodMillis, int activeStreams, long[] progress) {
        int decision;
        synchronized (RECORDS) {
            decision = decide(RECORDS, handler, periodMillis, activeStreams, progress,
                    H2patchRuntime.idleDeferMaxMillis);
        }
        if (H2patchRuntime.reportOnly) {
            if (decision == HOLD) {
                Counters.increment(Counters.CONNECTION_STATE_WOULD_CHANGE);
            }
            return false;
        }
        if (decision == CAPPED) {
            Counters.increment(Counters.CONNECTION_STATE_IDLE_CAPPED);
            return false;
        }
        if (decision != HOLD) {
            return false;
        }
        Counters.increment(Counters.CONNECTION_STATE_IDLE_DEFERRED);
        return true;
    }

    /** Deliver the event: no active stream. */
    static final int DELIVER_NO_STREAM = 0;
    /** Deliver the event: nothing moved since the handler's previous event. */
    static final int DELIVER_NO_PROGRESS = 1;
    /** Deliver the event: holding it back would take the handler's total past {@code idle-defer-max-ms}. */
    static final int CAPPED = 2;
    /** Hold the event back. */
    static final int HOLD = 3;

    /** The rule, with its state passed in (callers synchronize on {@code records}). */
    static int decide(Map<Object, Record> records, Object handler, long periodMillis, int activeStreams,
                      long[] progress, long capMillis) {
        if (activeStreams <= 0) {
            return DELIVER_NO_STREAM;
        }
        Record record = records.get(handler);
        boolean moved;
        if (record == null) {
            // No earlier fingerprint: give the benefit of the doubt once (a dead peer is cleaned up one period late).
            record = new Record();
            records.put(handler, record);
            moved = true;
        } else {
            moved = !Arrays.equals(record.progress, progress);
        }
        record.progress = progress.clone();
        if (!moved) {
            return DELIVER_NO_PROGRESS;
        }
        if (!withinCap(record.deferredMillis, periodMillis, capMillis)) {
            return CAPPED;
        }
        record.deferredMillis += Math.max(0, periodMillis);
        return HOLD;
    }

    /** How long, in total, this handler's events have been held back (tests and diagnostics). */
    static long deferredMillis(Map<Object, Record> records, Object handler) {
        Record record = records.get(handler);
        return record == null ? 0 : record.deferredMillis;
    }

    /** One idle handler's fingerprint at its last event and the total time its events were held back. */
    static final class Record {
        long[] progress;
        long deferredMillis;
    }
}
