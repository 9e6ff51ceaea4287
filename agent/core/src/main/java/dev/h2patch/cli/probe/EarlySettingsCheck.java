package dev.h2patch.cli.probe;

import java.io.IOException;
import java.util.List;

/**
 * early-settings (docs/bugs.md#early-settings): connect and say nothing — does the server send its SETTINGS first
 * (RFC 9113 §3.4 allows it to), and after how long? Then send only the preface and SETTINGS, as grpc-go ≥ 1.18 does
 * before it waits: the server must answer with SETTINGS before any request, or such a client never sends one.
 */
final class EarlySettingsCheck {
    static final String NAME = "early-settings";
    /** How long the probe stays silent first: at most this, or the step timeout if shorter. */
    static final long SILENT_MS = 1000;

    private EarlySettingsCheck() {
    }

    /** Runs on a fresh connection and leaves it with the preface sent. */
    static Verdict run(H2Connection c, ProbeOptions o) throws IOException {
        long silent = Math.min(SILENT_MS, o.timeoutMs);
        c.await(serverSettings(), 0, H2Connection.deadline(silent));
        double prefaceAt = c.now();
        if (c.closedReason() == null) {
            c.sendPreface();
            c.await(serverSettings(), 0, H2Connection.deadline(o.timeoutMs));
        }
        return judge(c.frames(), prefaceAt, o.timeoutMs, c.closedReason());
    }

    static H2Connection.Match serverSettings() {
        return new H2Connection.Match() {
            @Override
            public boolean test(Frame f) {
                return !f.sent && f.is(Frame.SETTINGS) && !f.has(Frame.ACK);
            }
        };
    }

    /** The verdict from the frames of the connection; {@code prefaceAt}: when the probe sent its preface (ms). */
    static Verdict judge(List<Frame> frames, double prefaceAt, long timeoutMs, String closed) {
        Frame settings = null;
        for (Frame f : frames) {
            if (!f.sent && f.is(Frame.SETTINGS) && !f.has(Frame.ACK)) {
                settings = f;
                break;
            }
        }
        if (settings != null && settings.millis < prefaceAt) {
            return Verdict.ok(NAME, "SETTINGS " + Requests.ms(settings.millis) + " after connect, before the client"
                    + " spoke");
        }
        if (settings != null) {
            return Verdict.ok(NAME, "silent until the client spoke (" + Requests.ms(prefaceAt) + "); SETTINGS "
                    + Requests.ms(settings.millis - prefaceAt) + " after the client's preface, before any request"
                    + " (a grpc-go client connects)");
        }
        if (closed != null) {
            return Verdict.unknown(NAME, "the connection ended before any SETTINGS: " + closed);
        }
        return Verdict.bug(NAME, "no SETTINGS within " + timeoutMs + " ms of the client's preface and SETTINGS:"
                + " grpc-go >= 1.18 waits for them before its first request (\"timed out waiting for server"
                + " handshake\")");
    }
}
