package dev.h2patch.bootstrap;

import java.util.Map;
import java.util.WeakHashMap;

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
}
