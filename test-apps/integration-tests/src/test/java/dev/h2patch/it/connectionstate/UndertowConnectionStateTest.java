package dev.h2patch.it.connectionstate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.Wire;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * connection-state on Undertow 2.2, 2.3 and 2.4 (docs/fixes/connection-state.md, "Undertow"), the client's GOAWAY: a
 * client opens two requests that take 1.5 s ({@code /slow?ms=1500}) and sends GOAWAY(NO_ERROR) 0.3 s later, a
 * graceful close (RFC 9113 §6.8). Without the agent Undertow breaks both streams, answers GOAWAY and closes at once:
 * 0 of 2 answered. With it both are answered, then Undertow's GOAWAY(NO_ERROR) comes and the connection closes.
 */
@Timeout(120)
class UndertowConnectionStateTest {
    private static final String APPS = "dev.h2patch.it.connectionstate.UndertowConnectionStateTest#undertowApps";
    private static final int STREAMS = 2;
    private static final int NO_ERROR = 0;

    static Stream<String> undertowApps() {
        return TestApps.claiming("Undertow", "connection-state");
    }

    /** Two slow requests, GOAWAY(NO_ERROR) at +0.3 s, then 3 s of reading; the stream ids. */
    private static List<Integer> twoStreamsThenGoAway(FrameRecorder r) throws Exception {
        r.sendPreface();
        r.awaitServerSettings(Duration.ofSeconds(5));
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            ids.add(r.request(Request.get("/slow?ms=1500")));
        }
        Thread.sleep(300);
        byte[] goaway = new byte[8]; // last stream 0 (the server opened none), NO_ERROR
        r.sendFrame(Frame.GOAWAY, 0, 0, goaway);
        r.readUntil(f -> false, Duration.ofSeconds(3));
        return ids;
    }

    private static int lastStreamId(Frame goaway) {
        byte[] p = goaway.payload();
        return ((p[0] & 0x7f) << 24) | ((p[1] & 0xff) << 16) | ((p[2] & 0xff) << 8) | (p[3] & 0xff);
    }

    private static long answered(FrameRecorder r, List<Integer> ids) {
        return ids.stream().filter(id -> r.streamFrames(id).stream()
                .anyMatch(f -> f.is(Frame.DATA) && f.endStream() && f.length() > 0)).count();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void clientGoAwayBreaksInFlightStreamsWithoutAgent(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            List<Integer> ids = twoStreamsThenGoAway(r);
            long ok = answered(r, ids);
            System.err.println(app + " without agent: " + ok + "/" + STREAMS + " answered\n" + r.describe());
            assertTrue(ok < STREAMS, "without the agent Undertow breaks the streams at the client's GOAWAY\n"
                    + r.describe() + child.describeOutput());
            assertTrue(r.peerClosed(), "and closes the connection\n" + r.describe());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void clientGoAwayLetsInFlightStreamsFinishWithAgent(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, null).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            List<Integer> ids = twoStreamsThenGoAway(r);
            long ok = answered(r, ids);
            String ctx = "\nframes:\n" + r.describe() + child.describeOutput();
            System.err.println(app + " with agent: " + ok + "/" + STREAMS + " answered\n" + r.describe());
            assertEquals(STREAMS, ok, "every stream in flight at the client's GOAWAY(NO_ERROR) is answered" + ctx);
            List<Frame> all = r.frames();
            // No reset before a stream's answer is complete. (Seen once in about ten runs, on 2.3.27: a
            // RST_STREAM(CANCEL) on stream 1 25 ms after both answers were complete, just before the final GOAWAY,
            // from Undertow's own exchange-end path; the client has its answers by then. docs/fixes/connection-state.md)
            for (int id : ids) {
                int answer = -1;
                for (int i = 0; i < all.size(); i++) {
                    if (all.get(i).streamId() == id && all.get(i).is(Frame.DATA) && all.get(i).endStream()) {
                        answer = i;
                    }
                }
                for (int i = 0; i < all.size(); i++) {
                    if (all.get(i).streamId() == id && all.get(i).is(Frame.RST_STREAM)) {
                        assertTrue(i > answer, "no reset before stream " + id + "'s answer is complete" + ctx);
                    }
                }
            }
            int goaway = -1;
            int lastAnswer = -1;
            for (int i = 0; i < all.size(); i++) {
                Frame f = all.get(i);
                if (f.is(Frame.GOAWAY) && goaway < 0) {
                    goaway = i;
                }
                if (f.is(Frame.DATA) && f.endStream()) {
                    lastAnswer = i;
                }
            }
            assertTrue(goaway > lastAnswer, "Undertow's GOAWAY comes after the last answer" + ctx);
            assertEquals(NO_ERROR, all.get(goaway).errorCode(), "GOAWAY(NO_ERROR)" + ctx);
            assertTrue(r.peerClosed(), "then the connection closes" + ctx);
            assertTrue(child.agentErrorLines().isEmpty(), ctx);
        }
    }

    // ------------------------------------------------------------------------------------------ graceful shutdown

    /**
     * Two 2 s requests on one connection, then {@code /admin/shutdown} on another at +0.3 s (the app calls
     * {@code GracefulShutdownHandler.shutdown()}, {@code awaitShutdown(10 s)}, then {@code Undertow.stop()}); the first
     * connection is read until it closes (8 s at most). Returns the stream ids and the time of the admin request.
     */
    private static List<Integer> twoStreamsThenShutdown(ChildJvm child, FrameRecorder r) throws Exception {
        r.sendPreface();
        r.awaitServerSettings(Duration.ofSeconds(5));
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < STREAMS; i++) {
            ids.add(r.request(Request.get("/slow?ms=2000")));
        }
        Thread.sleep(300);
        FrameRecorder.exchange(child.port(), Request.get("/admin/shutdown"));
        r.readUntil(f -> false, Duration.ofSeconds(8));
        return ids;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void gracefulShutdownSendsNoGoAwayWithoutAgent(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            List<Integer> ids = twoStreamsThenShutdown(child, r);
            long ok = answered(r, ids);
            System.err.println(app + " shutdown without agent: " + ok + "/" + STREAMS + " answered\n" + r.describe());
            assertTrue(r.frames().stream().noneMatch(f -> f.is(Frame.GOAWAY)),
                    "without the agent Undertow never sends GOAWAY at a graceful shutdown\n" + r.describe()
                            + child.describeOutput());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void gracefulShutdownSendsGoAwayFirstThenLetsStreamsFinishWithAgent(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, null).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            List<Integer> ids = twoStreamsThenShutdown(child, r);
            long ok = answered(r, ids);
            String ctx = "\nframes:\n" + r.describe() + child.describeOutput();
            System.err.println(app + " shutdown with agent: " + ok + "/" + STREAMS + " answered\n" + r.describe());
            List<Frame> all = r.frames();
            Frame goaway = all.stream().filter(f -> f.is(Frame.GOAWAY)).findFirst().orElse(null);
            assertTrue(goaway != null && goaway.errorCode() == NO_ERROR, "GOAWAY(NO_ERROR) at the shutdown" + ctx);
            int firstAnswer = -1;
            for (int i = 0; i < all.size(); i++) {
                if (all.get(i).is(Frame.HEADERS)) {
                    firstAnswer = i;
                    break;
                }
            }
            assertTrue(firstAnswer > all.indexOf(goaway), "GOAWAY before the answers, while they are in flight" + ctx);
            assertTrue(lastStreamId(goaway) >= ids.get(STREAMS - 1), "GOAWAY's last stream covers both" + ctx);
            assertEquals(STREAMS, ok, "both streams in flight are answered" + ctx);
            assertTrue(all.stream().noneMatch(f -> f.is(Frame.RST_STREAM)), "no reset" + ctx);
            assertTrue(r.peerClosed(), "then the connection closes" + ctx);
            assertTrue(child.agentErrorLines().isEmpty(), ctx);
        }
    }
}
