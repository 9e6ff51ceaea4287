package dev.h2patch.bootstrap;

import java.io.IOException;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The streams, per connection, whose response a fix has already ended on the wire while the application still
 * believes the stream is open.
 *
 * <p>After the end-stream fix folds END_STREAM into a HEADERS frame, the application (or the codec in front of it)
 * usually writes once more on that stream — the empty DATA(END_STREAM) it meant to end the stream with. That write
 * must be dropped safely rather than fail the stream or the connection. Netty may already have removed the stream by
 * then, so the mark cannot live on the stream itself; it is kept here, keyed by the connection's channel (weakly, so a
 * closed connection leaves nothing behind) as a small ring of recent stream ids.
 *
 * <p>Only slow paths consult this map: writes on a stream that the library already considers ended.
 */
public final class EndedStreams {

    /**
     * The stream attribute that marks an ended stream on libraries whose streams carry attributes (Jetty's
     * {@code Stream.setAttribute}); there the mark lives on the stream itself, exact and gone with the stream, instead
     * of in the rings here. Its value is {@link Boolean#TRUE}.
     */
    public static final String STREAM_ATTRIBUTE = "dev.h2patch.end-stream.ended";

    /** How many recently ended stream ids are remembered per connection. */
    static final int RING_SIZE = 64;

    private static final Map<Object, int[]> RINGS = new WeakHashMap<Object, int[]>();

    /** Whether a failed late write has been logged in this JVM (it is logged once, then only counted). */
    private static final AtomicBoolean FAILURE_LOGGED = new AtomicBoolean();

    private EndedStreams() {
    }

    /** Remembers that {@code streamId} on {@code connection} was ended by a fix. */
    public static void remember(Object connection, int streamId) {
        synchronized (RINGS) {
            int[] ring = RINGS.get(connection);
            if (ring == null) {
                // Slot 0 holds the next write position; stream ids are never 0 for a response.
                ring = new int[RING_SIZE + 1];
                RINGS.put(connection, ring);
            }
            int next = ring[0];
            ring[1 + next] = streamId;
            ring[0] = (next + 1) % RING_SIZE;
        }
    }

    /** Whether {@code streamId} on {@code connection} was ended by a fix (among the recent ones). */
    public static boolean contains(Object connection, int streamId) {
        synchronized (RINGS) {
            int[] ring = RINGS.get(connection);
            if (ring == null) {
                return false;
            }
            for (int i = 1; i < ring.length; i++) {
                if (ring[i] == streamId) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * Whether a write on {@code streamId}, a stream the library already considers ended, is the fix's to take: the
     * stream is one a fix ended ({@link #contains}) and the agent is not in report mode (where the fix ended nothing,
     * so the write is the library's as usual). A write taken is never written; {@link #afterEnd} says how it
     * completes.
     */
    public static boolean takesWrite(Object connection, int streamId) {
        return !H2patchRuntime.reportOnly && contains(connection, streamId);
    }

    /**
     * The last decision, for Netty and every Jetty line, once an advice has found a response to end in its HEADERS
     * (a gRPC Trailers-Only answer or trailers, {@link GrpcShape#endsResponse}; or HEADERS + an empty DATA(END_STREAM)
     * still unflushed): true when END_STREAM is set now, counted as {@code end-stream.folded}; false in report mode,
     * counted as {@code end-stream.would-fold}, and the frames stay as they are.
     */
    public static boolean fold() {
        if (H2patchRuntime.reportsOnly(Counters.END_STREAM_WOULD_FOLD)) {
            return false;
        }
        Counters.increment(Counters.END_STREAM_FOLDED);
        return true;
    }

    /**
     * The one decision, for Netty and every Jetty line, about a write the application makes on a stream whose response
     * a fix has already ended (END_STREAM folded into its HEADERS): returns {@code null} when the write may be
     * absorbed, else the exception to fail it with.
     *
     * <p>Absorbed (completed as if written, counted as {@code end-stream.dropped-writes}): a write that carries
     * nothing — {@code size == 0}: the empty DATA(END_STREAM) the fold replaced, an empty flush, an empty trailers
     * block. Nothing of the application's is lost, and the stream's END_STREAM is already on the wire.
     *
     * <p>Failed (counted as {@code end-stream.failed-writes}; the first one in the JVM is also logged on stderr): a
     * write that carries something — DATA bytes or trailer fields. Nothing may follow END_STREAM on a stream (RFC 9113
     * §5.1, "half-closed (local)"), so it can no longer be sent; completing it as written would lose the
     * application's bytes without anyone knowing. The exception is an {@link IOException} (what a failed write is
     * elsewhere in both libraries) whose message names h2patch, the stream and the reason.
     *
     * @param streamId the stream's id, for the message
     * @param what what was written, for the message ({@code "DATA"}, {@code "trailers"})
     * @param size payload bytes (DATA, padding not included) or header fields (trailers)
     * @param unit the unit of {@code size}, for the message ({@code "bytes"}, {@code "fields"})
     */
    public static Throwable afterEnd(int streamId, String what, long size, String unit) {
        if (size <= 0) {
            Counters.increment(Counters.END_STREAM_DROPPED_WRITES);
            return null;
        }
        Counters.increment(Counters.END_STREAM_FAILED_WRITES);
        String message = "h2patch end-stream: stream " + streamId + " already ended: h2patch set END_STREAM on its"
                + " HEADERS (they carried grpc-status, the end of a gRPC response), so this " + what + " write of "
                + size + " " + unit + " cannot be sent (RFC 9113 section 5.1) and fails";
        if (FAILURE_LOGGED.compareAndSet(false, true)) {
            // The agent's log format (slf4j-simple: level, logger name); bootstrap classes cannot reach that logger.
            System.err.println("WARN h2patch - " + message + ". Further such writes are only counted"
                    + " (end-stream.failed-writes).");
        }
        return new IOException(message);
    }

    /**
     * {@link #afterEnd} for a DATA write of {@code bytes} payload bytes; when the write cannot be failed
     * ({@code cannotFail}: e.g. Netty's void promise, whose failure would close the whole connection), it is counted
     * and logged all the same, and {@code null} is returned: the caller completes it as written.
     */
    public static Throwable dataAfterEnd(int streamId, long bytes, boolean cannotFail) {
        Throwable failure = afterEnd(streamId, "DATA", bytes, "bytes");
        return cannotFail ? null : failure;
    }

    /**
     * Whether a reset asked for a stream that is already closed on both sides (its END_STREAM sent and received), and
     * that a fix ended ({@code endedMark}: the stream's {@link #STREAM_ATTRIBUTE}), is to be dropped, its callback
     * succeeded. An endpoint must not send any frame but PRIORITY on a closed stream (RFC 9113 §5.1); Jetty asks for
     * such a reset (CANCEL) when it aborts the stream after a write that {@link #afterEnd} failed, and the client
     * already has the complete response. Resets of streams the fixes did not end are left to the library.
     */
    public static boolean dropResetOfClosed(boolean closed, Object endedMark) {
        return closed && endedMark != null;
    }
}
