package dev.h2patch.it.connectionstate;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Exchange;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.Request;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The steps and readings the connection-state tests share between the Netty apps ({@link ConnectionStateTest}) and
 * the Jetty apps ({@link JettyConnectionStateTest}): both kinds of app serve the same routes ({@code /slow},
 * {@code /quiet-stream}, {@code /admin/shutdown}).
 */
public final class ConnectionStateScenario {

    private ConnectionStateScenario() {
    }

    /** Sends the preface, waits for the server's SETTINGS, then opens {@code count} {@code /slow?ms=slowMs} streams. */
    public static List<Integer> startSlowStreams(FrameRecorder r, int count, long slowMs) throws Exception {
        r.sendPreface();
        r.awaitServerSettings(Duration.ofSeconds(5));
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ids.add(r.request(Request.get("/slow?ms=" + slowMs)));
        }
        return ids;
    }

    /** Shuts the app down the way its users do: SIGTERM ({@code "sigterm"}) or the admin request. */
    public static void trigger(ChildJvm child, String how) throws Exception {
        trigger(FrameRecorder.Transport.H2C, child, how);
    }

    /** {@link #trigger(ChildJvm, String)}, the admin request sent over {@code transport} (h2c or TLS). */
    public static void trigger(FrameRecorder.Transport transport, ChildJvm child, String how) throws Exception {
        if ("sigterm".equals(how)) {
            ProcessHandle.of(child.pid()).ifPresent(ProcessHandle::destroy);
        } else {
            Exchange x = transport.exchange(child.port(), Request.get("/admin/shutdown"),
                    Duration.ofSeconds(5), Duration.ZERO);
            assertTrue(x.ended(), "admin request answered\n" + x.describe());
        }
    }

    /** How many of the streams got a 200 and ended without a reset. */
    public static int countOk(FrameRecorder r, List<Integer> ids) {
        int ok = 0;
        for (int id : ids) {
            List<Frame> fs = r.streamFrames(id);
            boolean status200 = fs.stream().anyMatch(f -> f.is(Frame.HEADERS) && "200".equals(f.header(":status")));
            boolean ended = fs.stream().anyMatch(Frame::endStream) && fs.stream().noneMatch(f -> f.is(Frame.RST_STREAM));
            if (status200 && ended) {
                ok++;
            }
        }
        return ok;
    }

    /** The last HEADERS or DATA frame the server sent on any of the streams. */
    public static Frame lastResponseFrame(FrameRecorder r, List<Integer> ids) {
        Frame last = null;
        for (Frame f : r.frames()) {
            if (ids.contains(f.streamId()) && (f.is(Frame.HEADERS) || f.is(Frame.DATA))) {
                last = f;
            }
        }
        return last;
    }

    /** Whether the {@code /quiet-stream} answer on stream {@code id} ended with its {@code tick} DATA frame. */
    public static boolean endedWithTick(FrameRecorder r, int id) {
        return r.streamFrames(id).stream().anyMatch(f -> f.is(Frame.DATA) && f.endStream()
                && new String(f.payload(), StandardCharsets.UTF_8).contains("tick"));
    }

    public static int lastStreamId(Frame goaway) {
        byte[] p = goaway.payload();
        return ((p[0] & 0x7f) << 24) | ((p[1] & 0xff) << 16) | ((p[2] & 0xff) << 8) | (p[3] & 0xff);
    }

    public static void awaitClose(FrameRecorder r, long deadlineNanos) throws InterruptedException {
        while (!r.peerClosed() && System.nanoTime() < deadlineNanos) {
            Thread.sleep(20);
        }
    }

    public static void awaitExit(ChildJvm child, long deadlineNanos) throws InterruptedException {
        while (child.isAlive() && System.nanoTime() < deadlineNanos) {
            Thread.sleep(20);
        }
    }
}
