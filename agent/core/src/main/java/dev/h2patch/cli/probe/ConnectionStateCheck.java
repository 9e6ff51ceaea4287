package dev.h2patch.cli.probe;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * connection-state (docs/bugs.md#connection-state): what the probe can see from outside — whether a PING is answered
 * (RFC 9113 §6.7), and the shape of any GOAWAY the server sent during the probe (two-phase, last-stream-id, §6.8), or
 * a connection closed without one while a stream was open. The bug shows when the server stops or an idle timer
 * fires on a busy connection; the probe cannot stop the server, so without such an event its verdict is unknown.
 */
final class ConnectionStateCheck {
    static final String NAME = "connection-state";
    static final byte[] PING = "h2patchP".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private ConnectionStateCheck() {
    }

    /** Sends one PING on an open connection and waits for its ACK; returns the round trip in ms, or -1. */
    static double ping(H2Connection c, ProbeOptions o) throws IOException {
        if (c.closedReason() != null) {
            return -1;
        }
        int mark = c.mark();
        double sentAt = c.ping(PING);
        Frame ack = c.await(new H2Connection.Match() {
            @Override
            public boolean test(Frame f) {
                return !f.sent && f.is(Frame.PING) && f.has(Frame.ACK) && java.util.Arrays.equals(f.payload, PING);
            }
        }, mark, H2Connection.deadline(o.timeoutMs));
        return ack == null ? -1 : ack.millis - sentAt;
    }

    /**
     * The verdict from every connection's frames and how each ended ({@code closed.get(i)}: null while open when the
     * probe finished); {@code pingMs} -1 when the PING was not answered.
     */
    static Verdict judge(List<List<Frame>> connections, List<String> closed, double pingMs, long timeoutMs) {
        List<String> goaways = new ArrayList<String>();
        String cut = null;
        for (int i = 0; i < connections.size(); i++) {
            List<Frame> frames = connections.get(i);
            List<Frame> received = new ArrayList<Frame>();
            for (Frame f : frames) {
                if (!f.sent && f.is(Frame.GOAWAY)) {
                    received.add(f);
                }
            }
            for (int g = 0; g < received.size(); g++) {
                Frame f = received.get(g);
                goaways.add("connection " + (i + 1) + ": GOAWAY(last-stream-id " + f.lastStreamId() + ", "
                        + Frame.errorName(f.errorCode()) + ")" + (g == 0 && received.size() > 1
                        && f.lastStreamId() == Integer.MAX_VALUE ? " then" : ""));
            }
            String reason = closed.get(i);
            if (reason != null && reason.contains("closed by the server") && received.isEmpty()) {
                List<Integer> open = openStreams(frames);
                if (!open.isEmpty()) {
                    cut = "connection " + (i + 1) + " closed by the server without GOAWAY while stream(s) " + open
                            + " were open";
                }
            }
        }
        String ping = pingMs < 0 ? "PING not answered within " + timeoutMs + " ms"
                : "PING answered in " + Requests.ms(pingMs);
        String shape = goaways.isEmpty() ? "no GOAWAY during the probe" : Requests.join(goaways);
        if (cut != null) {
            return Verdict.bug(NAME, cut + "; " + ping);
        }
        boolean twoPhase = false;
        for (String g : goaways) {
            twoPhase |= g.endsWith(" then");
        }
        return Verdict.unknown(NAME, ping + "; " + shape + (twoPhase ? " (two-phase, RFC 9113 §6.8)" : "")
                + "; the probe cannot stop the server, so graceful shutdown and idle timers are not tested");
    }

    /** Streams the probe opened that neither side ended nor reset. */
    static List<Integer> openStreams(List<Frame> frames) {
        List<Integer> open = new ArrayList<Integer>();
        for (Frame f : frames) {
            if (f.sent && f.is(Frame.HEADERS) && !open.contains(f.stream)) {
                open.add(f.stream);
            }
        }
        for (Frame f : frames) {
            if ((!f.sent && (f.endStream() || f.is(Frame.RST_STREAM))) || (f.sent && f.is(Frame.RST_STREAM))) {
                open.remove(Integer.valueOf(f.stream));
            }
        }
        return open;
    }
}
