package dev.h2patch.it.earlysettings;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/**
 * When a server's first SETTINGS arrive, measured with a raw socket: the probes of the early-settings tests (Netty,
 * Jetty and the module-path apps), docs/fixes/early-settings.md.
 */
public final class SettingsTiming {
    /** The budget of the issue: SETTINGS within 100 ms of connect / of the client preface. */
    public static final Duration BUDGET = Duration.ofMillis(100);
    /** How long "never" is for an app that does not speak first. */
    public static final Duration SILENCE = Duration.ofSeconds(1);
    /** How many probes {@link #best} takes. */
    public static final int TRIES = 3;

    /** One measurement: nanos to the first SETTINGS, or -1. */
    public interface Probe {
        long nanos() throws Exception;
    }

    /**
     * The fastest of {@value #TRIES} probes (-1 only if all saw nothing). The machines these tests run on are shared
     * and small: one probe can lose 100+ ms to scheduling alone, which says nothing about when the server wrote.
     */
    public static long best(Probe probe) throws Exception {
        long best = -1;
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < TRIES; i++) {
            long nanos = probe.nanos();
            all.append(i == 0 ? "" : ", ").append(describe(nanos));
            if (nanos >= 0 && (best < 0 || nanos < best)) {
                best = nanos;
            }
        }
        System.err.println("[early-settings]   probes: " + all);
        return best;
    }

    /** Connects, sends nothing; nanos from connect to the first server SETTINGS, or -1 within {@code wait}. */
    public static long settingsOnConnect(int port, Duration wait) throws IOException, InterruptedException {
        return settingsOnConnect(FrameRecorder.Transport.H2C, port, wait);
    }

    /**
     * {@link #settingsOnConnect(int, Duration)} over {@code transport}; over TLS the time counts from the end of the
     * handshake (ALPN h2 agreed), and nothing is sent after it.
     */
    public static long settingsOnConnect(FrameRecorder.Transport transport, int port, Duration wait)
            throws IOException, InterruptedException {
        try (FrameRecorder r = transport.connect(port)) {
            return r.awaitServerSettings(wait);
        }
    }

    /** Connects, sends only the 24-byte preface; nanos from sending it to the first server SETTINGS, or -1. */
    public static long settingsAfterPreface(int port, Duration wait) throws IOException, InterruptedException {
        try (FrameRecorder r = FrameRecorder.connect(port)) {
            long sent = System.nanoTime();
            r.sendRaw(FrameRecorder.CLIENT_PREFACE);
            Predicate<Frame> settings = f -> f.is(Frame.SETTINGS) && !f.ack();
            List<Frame> frames = r.readUntil(settings, wait);
            return frames.stream().anyMatch(settings) ? System.nanoTime() - sent : -1;
        }
    }

    public static void report(String app, String agent, String after, long nanos) {
        System.err.println("[early-settings] " + app + " (" + agent + "): SETTINGS after " + after + ": "
                + describe(nanos));
    }

    public static String describe(long nanos) {
        return nanos < 0 ? "none" : String.format("%.1f ms", nanos / 1e6);
    }

    /** The h2c-only port a Jetty sniffer app prints as {@code READY-H2C P}. */
    public static int h2cPort(ChildJvm child) {
        for (String line : child.stdoutLines()) {
            if (line.trim().startsWith("READY-H2C ")) {
                return Integer.parseInt(line.trim().substring("READY-H2C ".length()));
            }
        }
        throw new IllegalStateException("no READY-H2C line\n" + child.describeOutput());
    }

    private SettingsTiming() {}
}
