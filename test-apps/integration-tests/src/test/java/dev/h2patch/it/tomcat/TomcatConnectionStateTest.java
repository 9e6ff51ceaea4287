package dev.h2patch.it.tomcat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.Cli;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.Wire;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The connection-state fix on Tomcat 9.0, 10.1 and 11.0, the client's GOAWAY (docs/fixes/connection-state.md,
 * "Tomcat"): a client opens two streams of 1.5 s ({@code /slow?ms=1500}) and sends GOAWAY(NO_ERROR, last stream 0)
 * 300 ms later, as a client done with the connection does (and as Node's http2 client answers a server's GOAWAY).
 * Tomcat closes the connection at once, with no frame: 0 of 2 streams complete. With the agent both complete.
 */
@Timeout(120)
class TomcatConnectionStateTest {
    private static final String APPS = "dev.h2patch.it.tomcat.TomcatConnectionStateTest#tomcatApps";
    private static final int GOAWAY = 0x7;

    static Stream<String> tomcatApps() {
        return TestApps.claiming("Tomcat", "connection-state");
    }

    /** The two streams' ids and the recorder, after the GOAWAY and up to 5 s of reading. */
    private static FrameRecorder twoSlowStreamsThenGoaway(int port, List<Integer> ids) throws Exception {
        FrameRecorder r = FrameRecorder.connect(port);
        r.sendPreface();
        ids.add(r.request(Request.get("/slow?ms=1500")));
        ids.add(r.request(Request.get("/slow?ms=1500")));
        Thread.sleep(300);
        r.sendFrame(GOAWAY, 0, 0, new byte[8]); // last stream 0, NO_ERROR
        for (int id : ids) {
            r.awaitStreamEnd(id, Duration.ofSeconds(5));
        }
        r.readFor(Duration.ofMillis(300));
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void withoutAgentTomcatClosesAtTheClientsGoaway(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).start()) {
            List<Integer> ids = new java.util.ArrayList<>();
            try (FrameRecorder r = twoSlowStreamsThenGoaway(child.port(), ids)) {
                String ctx = "\nframes received:\n" + r.describe() + "\n" + child.describeOutput();
                for (int id : ids) {
                    assertFalse(r.streamEnded(id), "without the agent stream " + id + " should be cut" + ctx);
                }
                assertTrue(r.peerClosed(), "without the agent Tomcat closes the connection" + ctx);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void withAgentTheStreamsInFlightFinishAfterTheClientsGoaway(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, null).start()) {
            List<Integer> ids = new java.util.ArrayList<>();
            try (FrameRecorder r = twoSlowStreamsThenGoaway(child.port(), ids)) {
                String ctx = "\nframes received:\n" + r.describe() + "\n" + child.describeOutput();
                for (int id : ids) {
                    assertTrue(r.streamEnded(id), "stream " + id + " should finish" + ctx);
                    List<Frame> fs = FrameRecorder.responseFrames(r.frames(), id);
                    assertEquals("200", fs.get(0).header(":status"), ctx);
                    String body = fs.stream().filter(f -> f.is(Frame.DATA)).map(f -> new String(f.payload(),
                            StandardCharsets.UTF_8)).collect(Collectors.joining());
                    assertEquals("slow\n", body, ctx);
                }
                assertTrue(r.frames().stream().noneMatch(f -> f.is(Frame.RST_STREAM)), "no reset" + ctx);
            }
            Cli.Result status = Cli.run("status", Long.toString(child.pid()), "--json");
            assertEquals(2, status.counter("connection-state", "streams-saved-shutdown"), status + child.describeOutput());
            Wire.assertCleanStderr(child, Request.get("/hello"));
        }
    }

    /**
     * Two streams of 3 s ({@code /slow?ms=3000}) on one connection, then {@code /admin/shutdown} (Tomcat's graceful
     * stop, {@code tomcat.stop()}) from another connection 500 ms later. Returns the recorder of the first connection
     * after up to 8 s of reading.
     */
    private static FrameRecorder twoSlowStreamsThenStop(ChildJvm child, List<Integer> ids) throws Exception {
        FrameRecorder r = FrameRecorder.connect(child.port());
        r.sendPreface();
        ids.add(r.request(Request.get("/slow?ms=3000")));
        ids.add(r.request(Request.get("/slow?ms=3000")));
        Thread.sleep(500);
        FrameRecorder.exchange(child.port(), Request.get("/admin/shutdown"));
        for (int id : ids) {
            r.awaitStreamEnd(id, Duration.ofSeconds(8));
        }
        r.readFor(Duration.ofMillis(300));
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void withoutAgentTomcatsStopCutsTheStreamsInFlight(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).start()) {
            List<Integer> ids = new java.util.ArrayList<>();
            try (FrameRecorder r = twoSlowStreamsThenStop(child, ids)) {
                String ctx = "\nframes received:\n" + r.describe() + "\n" + child.describeOutput();
                assertTrue(r.frames().stream().anyMatch(f -> f.is(GOAWAY)), "Tomcat's stop sends a GOAWAY" + ctx);
                for (int id : ids) {
                    // Cut: no end at all, or (seen once in CI on 11.0.29, as the web application stopped under the
                    // async request) Tomcat's own 500 error page instead of the answer.
                    assertFalse(answered(r, id), "without the agent stream " + id + " is cut by the stop" + ctx);
                }
                assertTrue(r.peerClosed(), ctx);
            }
        }
    }

    /** Whether stream {@code id} ended with its answer: status 200 and the body {@code slow\n}. */
    private static boolean answered(FrameRecorder r, int id) {
        List<Frame> fs = r.streamFrames(id);
        if (!r.streamEnded(id) || fs.isEmpty() || !fs.get(0).is(Frame.HEADERS)
                || !"200".equals(fs.get(0).header(":status"))) {
            return false;
        }
        return "slow\n".equals(fs.stream().filter(f -> f.is(Frame.DATA))
                .map(f -> new String(f.payload(), StandardCharsets.UTF_8)).collect(Collectors.joining()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void withAgentTomcatsStopLetsTheStreamsInFlightFinish(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, null).start()) {
            List<Integer> ids = new java.util.ArrayList<>();
            try (FrameRecorder r = twoSlowStreamsThenStop(child, ids)) {
                String ctx = "\nframes received:\n" + r.describe() + "\n" + child.describeOutput();
                int goaway = -1;
                List<Frame> frames = r.frames();
                for (int i = 0; i < frames.size() && goaway < 0; i++) {
                    if (frames.get(i).is(GOAWAY)) {
                        goaway = i;
                    }
                }
                assertTrue(goaway >= 0, "GOAWAY first" + ctx);
                for (int id : ids) {
                    assertTrue(r.streamEnded(id), "stream " + id + " should finish before the stop ends" + ctx);
                    List<Frame> fs = FrameRecorder.responseFrames(frames, id);
                    assertTrue(frames.indexOf(fs.get(0)) > goaway, "the GOAWAY came before the answer" + ctx);
                    String body = fs.stream().filter(f -> f.is(Frame.DATA)).map(f -> new String(f.payload(),
                            StandardCharsets.UTF_8)).collect(Collectors.joining());
                    assertEquals("slow\n", body, ctx);
                }
                assertTrue(r.frames().stream().noneMatch(f -> f.is(Frame.RST_STREAM)), "no reset" + ctx);
            }
            assertTrue(awaitStopped(child, Duration.ofSeconds(15)), "the stop completes" + child.describeOutput());
        }
    }

    /**
     * shutdown-drain-ms bounds the wait: a stream of 6 s, a bound of 500 ms: the stop does not wait for the stream
     * (it returns well before the stream's 5.5 s left).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void withAgentTheDrainIsBounded(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, "shutdown-drain-ms=500").start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            r.request(Request.get("/slow?ms=6000"));
            Thread.sleep(500);
            FrameRecorder.exchange(child.port(), Request.get("/admin/shutdown"));
            assertTrue(awaitStopped(child, Duration.ofSeconds(15)), "the stop completes" + child.describeOutput());
            String stopped = child.stderrLines().stream().filter(l -> l.startsWith("admin: server stopped"))
                    .findFirst().orElseThrow();
            long ms = Long.parseLong(stopped.replaceAll(".* after (\\d+) ms.*", "$1"));
            assertTrue(ms < 5000, "the stop took " + ms + " ms: it waited for the stream past the bound"
                    + child.describeOutput());
        }
    }

    /**
     * Issue 17's headline case: Node's http2 client (so grpc-js) with 4 streams of 3 s in flight when Tomcat stops 1 s
     * later; Node answers the stop's GOAWAY with its own (test-apps/interop/node/stop-in-flight.js). Without the agent
     * Tomcat closes the connection at Node's GOAWAY: 0 of 4; with it 4 of 4.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void nodeStreamsSurviveTomcatsStop(String app) throws Exception {
        java.nio.file.Path node = Stream.of("/usr/bin/node", "/usr/local/bin/node").map(java.nio.file.Path::of)
                .filter(java.nio.file.Files::isExecutable).findFirst().orElse(null);
        dev.h2patch.it.harness.RequiredPeer.require(node != null, "node is not installed");
        for (boolean agent : List.of(false, true)) {
            try (ChildJvm child = agent ? Wire.withAgentUnderTest(app, null).start() : ChildJvm.app(app).start()) {
                Process p = new ProcessBuilder(node.toString(),
                        dev.h2patch.it.Repo.root().resolve("test-apps/interop/node/stop-in-flight.js").toString(),
                        "--port", String.valueOf(child.port())).redirectErrorStream(true).start();
                assertTrue(p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS), "node did not finish");
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
                System.err.println(app + " agent=" + agent + " node through stop(): " + out);
                assertTrue(out.contains(agent ? "\"done\":4" : "\"done\":0"), "agent=" + agent + ": " + out
                        + child.describeOutput());
            }
        }
    }

    private static boolean awaitStopped(ChildJvm child, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < end) {
            if (child.stderrLines().stream().anyMatch(l -> l.startsWith("admin: server stopped"))) {
                return true;
            }
            Thread.sleep(100);
        }
        return false;
    }

    /** A GOAWAY with an error code, or with nothing in flight, closes the connection as Tomcat does. */
    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void withAgentAnErrorGoawayStillCloses(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, null).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            int id = r.request(Request.get("/slow?ms=1500"));
            Thread.sleep(300);
            byte[] payload = new byte[8];
            payload[7] = 0x2; // INTERNAL_ERROR
            r.sendFrame(GOAWAY, 0, 0, payload);
            r.awaitStreamEnd(id, Duration.ofSeconds(3));
            String ctx = "\nframes received:\n" + r.describe() + "\n" + child.describeOutput();
            assertFalse(r.streamEnded(id), "an error GOAWAY closes at once" + ctx);
            assertTrue(r.peerClosed(), ctx);
        }
    }
}
