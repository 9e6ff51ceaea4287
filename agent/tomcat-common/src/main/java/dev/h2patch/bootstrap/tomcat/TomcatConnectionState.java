package dev.h2patch.bootstrap.tomcat;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;

/**
 * The decision of the Tomcat connection-state advice on a client's GOAWAY (docs/fixes/connection-state.md, "Tomcat"),
 * for every Tomcat line.
 *
 * <p>Tomcat's {@code Http2UpgradeHandler.goaway(int lastStreamId, long errorCode, String debugData)} does nothing but
 * close the connection: every stream is reset on Tomcat's side ({@code receiveReset(CANCEL)}) and the socket is
 * closed, with no frame. A GOAWAY with NO_ERROR is a graceful shutdown (RFC 9113 §6.8): the sender starts no new
 * stream, and the streams already open are to complete. A client sends one when it is done with the connection, and
 * Node's http2 client (so grpc-js) answers the server's own GOAWAY (Tomcat's graceful stop) with one: Tomcat then cut
 * every call in flight. Those streams now finish; the connection closes when the client closes it, or at Tomcat's own
 * keep-alive timeout once no stream is active.
 */
public final class TomcatConnectionState {

    private TomcatConnectionState() {
    }

    /**
     * Whether Tomcat's handling of the client's GOAWAY (closing the connection) is skipped: only for NO_ERROR with
     * streams still active on the connection ({@code activeStreams}, Tomcat's {@code activeRemoteStreamCount}). An
     * error code, or a connection with nothing in flight, closes as Tomcat does. Counted as
     * {@code connection-state.streams-saved-shutdown} (one per stream left to finish); report mode counts
     * {@code connection-state.would-change} and skips nothing.
     */
    public static boolean keepOpenAfterGoaway(long errorCode, int activeStreams) {
        if (errorCode != 0 || activeStreams <= 0) {
            return false;
        }
        if (H2patchRuntime.reportsOnly(Counters.CONNECTION_STATE_WOULD_CHANGE)) {
            return false;
        }
        for (int i = 0; i < activeStreams; i++) {
            Counters.increment(Counters.CONNECTION_STATE_STREAMS_SAVED_SHUTDOWN);
        }
        return true;
    }
}
