package dev.h2patch.it.connectionstate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.awaitClose;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.awaitExit;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.countOk;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.endedWithTick;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.lastResponseFrame;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.lastStreamId;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.startSlowStreams;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.trigger;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.TestApps;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The connection-state fix (docs/bugs.md#connection-state) against the Jetty apps (9.4, 10, 11, 12.0, 12.1).
 *
 * <p>Shutdown: one connection, five {@code /slow?ms=3000} streams (async completion from a scheduled task), then 1 s
 * later {@code server.stop()} with a 10 s stop timeout, from {@code /admin/shutdown} or SIGTERM. Without the agent
 * Jetty 10 to 12.1 reset every stream 1 s after their graceful GOAWAY (the idle timeout in LOCALLY_CLOSED) and 9.4
 * cuts them with no graceful GOAWAY; with it the client gets GOAWAY(NO_ERROR) first, all five answers, and the close
 * right after the last one. Quiet stream: {@code /quiet-stream?ms=2500} (headers, then nothing for 2.5 s) in flight
 * during the stop outlives the 1 s shutdown idle timeout; with the server running and a 1 s connector idle timeout it
 * completes with or without the agent (Jetty's own check), and the connection then idles out. Every wait has a
 * deadline a few seconds past the moment the behaviour under test is due.
 */
@Timeout(120)
class JettyConnectionStateTest {
    private static final int STREAMS = 5;
    private static final long SLOW_MS = 3000;
    private static final long QUIET_MS = 2500;
    private static final long IDLE_MS = 1000;
    private static final long CAP_MS = 1500;
    private static final long LONG_QUIET_MS = 4000;
    private static final long NO_ERROR = 0x0;
    private static final String STOPPED = "admin: server stopped after ";

    static Stream<String> apps() {
        return TestApps.claiming("Jetty", "connection-state");
    }

    /** The lines whose stop cuts the idle timeout to the 1 s shutdown idle timeout: all but Jetty 9.4. */
    static Stream<String> stopIdleCutApps() {
        return TestApps.claiming("Jetty", "connection-state", a -> !a.line().equals("9.4"));
    }

    static Stream<Arguments> appsAndTriggers() {
        return apps().flatMap(app -> Stream.of(Arguments.of(app, "admin"), Arguments.of(app, "sigterm")));
    }

    static Stream<Arguments> appsWithAndWithout() {
        return apps().flatMap(app -> Stream.of(Arguments.of(app, false), Arguments.of(app, true)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apps")
    void withoutAgentShutdownCutsInFlightStreams(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            List<Integer> ids = startSlowStreams(r, STREAMS, SLOW_MS);
            Thread.sleep(1000);
            trigger(child, "admin");
            r.readUntil(f -> false, Duration.ofMillis(SLOW_MS + 3000));
            int ok = countOk(r, ids);
            boolean gracefulFirst = r.frames().stream().anyMatch(f -> f.is(Frame.GOAWAY) && f.errorCode() == NO_ERROR
                    && lastStreamId(f) == Integer.MAX_VALUE);
            System.err.println(app + " without agent: " + ok + "/" + STREAMS + " answered, graceful GOAWAY="
                    + gracefulFirst + ", closed=" + r.peerClosed() + "\n" + r.describe());
            assertTrue(ok < STREAMS || !gracefulFirst, "without the agent a stream fails or no graceful GOAWAY comes\n"
                    + r.describe() + child.describeOutput());
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("appsAndTriggers")
    void withAgentShutdownSendsGoawayAndLetsInFlightStreamsFinish(String app, String trigger) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).agent().start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            List<Integer> ids = startSlowStreams(r, STREAMS, SLOW_MS);
            Thread.sleep(1000);
            long triggered = System.nanoTime();
            trigger(child, trigger);

            List<Frame> frames = r.readUntil(f -> f.is(Frame.GOAWAY), Duration.ofMillis(2000));
            Frame goaway = frames.stream().filter(f -> f.is(Frame.GOAWAY)).findFirst().orElse(null);
            assertNotNull(goaway, "GOAWAY within 2 s of the shutdown\n" + r.describe() + child.describeOutput());
            assertEquals(NO_ERROR, goaway.errorCode(), goaway.describe());
            assertTrue(!r.peerClosed(), "GOAWAY comes before the close, while streams are in flight");

            // A stream opened after the GOAWAY: Jetty's first GOAWAY is the graceful one (last stream 2^31-1), so it
            // may still be served; either way it must end, be refused, or lie beyond the final GOAWAY — no hang.
            int late = r.request(Request.get("/hello"));

            long deadline = triggered + TimeUnit.MILLISECONDS.toNanos(SLOW_MS + 3000);
            awaitClose(r, deadline);
            assertTrue(r.peerClosed(), "the server closes the connection once the streams are done\n" + r.describe()
                    + child.describeOutput());
            assertEquals(STREAMS, countOk(r, ids), "every in-flight stream completes with 200\n" + r.describe()
                    + child.describeOutput());
            List<Frame> all = r.frames();
            Frame lastGoaway = null;
            for (Frame f : all) {
                if (f.is(Frame.GOAWAY)) {
                    lastGoaway = f;
                }
            }
            boolean lateEnded = r.streamFrames(late).stream().anyMatch(f -> f.endStream() || f.is(Frame.RST_STREAM));
            assertTrue(lateEnded || lastStreamId(lastGoaway) < late,
                    "the stream opened after GOAWAY is answered, refused or excluded by the last GOAWAY\n"
                            + r.describe());
            assertTrue(all.indexOf(goaway) < all.indexOf(lastResponseFrame(r, ids)), "GOAWAY before the answers");
            awaitExit(child, triggered + TimeUnit.MILLISECONDS.toNanos(SLOW_MS + 5000));
            assertTrue(!child.isAlive(), "the server stops after the streams\n" + child.describeOutput());
            System.err.println(app + " " + trigger + " with agent\n" + r.describe());
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("appsWithAndWithout")
    void aQuietStreamOutlivesTheShutdownIdleTimeoutOnlyWithTheAgent(String app, boolean agent) throws Exception {
        ChildJvm.Builder builder = ChildJvm.app(app);
        try (ChildJvm child = (agent ? builder.agent() : builder).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            r.awaitServerSettings(Duration.ofSeconds(5));
            int id = r.request(Request.get("/quiet-stream?ms=" + QUIET_MS));
            r.readUntil(f -> f.streamId() == id && f.is(Frame.HEADERS), Duration.ofSeconds(2));
            Thread.sleep(300);
            trigger(child, "admin");
            r.awaitStreamEnd(id, Duration.ofMillis(QUIET_MS + 3000));
            boolean completed = r.streamFrames(id).stream().anyMatch(f -> f.is(Frame.DATA) && f.endStream()
                    || f.is(Frame.DATA) && new String(f.payload(), StandardCharsets.UTF_8).contains("tick"));
            System.err.println(app + " quiet stream, agent=" + agent + ": completed=" + completed + "\n"
                    + r.describe());
            if (agent) {
                assertTrue(completed && r.streamFrames(id).stream().noneMatch(f -> f.is(Frame.RST_STREAM)),
                        "the quiet stream completes\n" + r.describe() + child.describeOutput());
                assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
            } else {
                assertTrue(!completed, "without the agent the quiet stream is cut\n" + r.describe());
            }
        }
    }

    /**
     * Issue 13: {@code idle-defer-max-ms} also caps how long a closing session's idle timeouts are held back. Jetty 10
     * to 12.1 cut the idle timeout to 1 s at stop; with a cap of 1.5 s the first expiry (1 s after the GOAWAY) is held
     * back and the second (about 2 s after it) is not, so a stream quiet for 4 s is reset then instead of completing.
     * Without the agent it is reset about 1 s after the GOAWAY. (9.4 does not cut the idle timeout at stop.) The
     * agent of 00d729f does not know the option and installs nothing.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("stopIdleCutApps")
    void withAgentIdleDeferMaxCapsTheDrainOfAQuietStream(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).agent("idle-defer-max-ms=" + CAP_MS).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            r.awaitServerSettings(Duration.ofSeconds(5));
            int id = r.request(Request.get("/quiet-stream?ms=" + LONG_QUIET_MS));
            r.readUntil(f -> f.streamId() == id && f.is(Frame.HEADERS), Duration.ofSeconds(2));
            Thread.sleep(300);
            trigger(child, "admin");
            // The reset is due about 2 s after the GOAWAY; the deadline leaves a slow machine room (a CI run once saw
            // nothing at all within 5.5 s, not even the stream's own end at 4 s), and the assertions below still tell
            // a reset at the cap from a stream left to finish.
            r.awaitStreamEnd(id, Duration.ofMillis(LONG_QUIET_MS + 6000));
            Frame goaway = r.frames().stream().filter(f -> f.is(Frame.GOAWAY)).findFirst().orElse(null);
            Frame reset = r.streamFrames(id).stream().filter(f -> f.is(Frame.RST_STREAM)).findFirst().orElse(null);
            System.err.println(app + " quiet stream, idle-defer-max-ms=" + CAP_MS + "\n" + r.describe());
            assertTrue(child.stderrLines().stream().anyMatch(l -> l.contains("connection-state: active")),
                    "the agent accepted the option and is active" + child.describeOutput());
            assertNotNull(goaway, "graceful GOAWAY at stop\n" + r.describe());
            // Once the cap lets Jetty's idle timeout through, Jetty cuts the stream: mostly with RST_STREAM, but one CI
            // run on jetty10 saw the connection closed at the cap with no RST_STREAM frame (Jetty's own close of the
            // session). Either is the cut; what matters is when, and that the stream did not finish.
            long cutNanos = reset != null ? reset.nanos() : r.peerClosedNanos();
            assertTrue(cutNanos >= 0, "the 4 s quiet stream is cut (reset, or its connection closed) once the cap is"
                    + " reached\n" + r.describe() + child.describeOutput());
            long afterGoaway = TimeUnit.NANOSECONDS.toMillis(cutNanos - goaway.nanos());
            assertTrue(afterGoaway >= IDLE_MS + IDLE_MS / 2, "the first shutdown idle timeout was held back: cut "
                    + afterGoaway + " ms after the GOAWAY (" + (reset != null ? "RST_STREAM" : "connection closed")
                    + ")\n" + r.describe());
            assertTrue(!endedWithTick(r, id), "cut before its DATA\n" + r.describe());
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    /**
     * Server running, connector idle timeout 1 s: Jetty's own idle path (session NOT_CLOSED) already asks whether
     * every stream is idle before it closes, so the quiet stream completes without the agent too. The test holds
     * both sides to the same outcome: the agent must not change that path, and the connection, once it has no
     * stream, is still closed by the idle timeout.
     */
    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("appsWithAndWithout")
    void whileRunningAQuietStreamOutlivesTheIdleTimeoutAndTheIdleConnectionStillCloses(String app, boolean agent)
            throws Exception {
        ChildJvm.Builder builder = ChildJvm.app(app).appArg("--idle-timeout-ms", String.valueOf(IDLE_MS));
        try (ChildJvm child = (agent ? builder.agent() : builder).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            r.awaitServerSettings(Duration.ofSeconds(5));
            int id = r.request(Request.get("/quiet-stream?ms=" + QUIET_MS));
            r.awaitStreamEnd(id, Duration.ofMillis(QUIET_MS + 3000));
            long ended = System.nanoTime();
            boolean completed = endedWithTick(r, id);
            assertTrue(completed && r.streamFrames(id).stream().noneMatch(f -> f.is(Frame.RST_STREAM)),
                    "the quiet stream completes while the server runs, agent=" + agent + "\n" + r.describe()
                            + child.describeOutput());
            awaitClose(r, ended + TimeUnit.MILLISECONDS.toNanos(IDLE_MS + 3000));
            System.err.println(app + " running, quiet stream, agent=" + agent + "\n" + r.describe());
            assertTrue(r.peerClosed(), "the idle connection is closed after the stream ends, agent=" + agent + "\n"
                    + r.describe());
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apps")
    void shutdownWithNoActiveStreamIsNotSlowedDown(String app) throws Exception {
        // Best of two alternating runs each side: on a loaded 2-core machine single stops vary by ~800 ms either way.
        long without = Long.MAX_VALUE;
        long with = Long.MAX_VALUE;
        for (int run = 0; run < 2; run++) {
            without = Math.min(without, idleShutdownMillis(app, false));
            with = Math.min(with, idleShutdownMillis(app, true));
        }
        System.err.println(app + ": stop with one idle connection took " + without + " ms without the agent, "
                + with + " ms with it (best of 2)");
        assertTrue(with < without + 500, "with the agent " + with + " ms, without " + without + " ms (best of 2)");
    }

    // -------------------------------------------------------------------------------------------------- helpers

    private static long idleShutdownMillis(String app, boolean agent) throws Exception {
        ChildJvm.Builder builder = ChildJvm.app(app);
        try (ChildJvm child = (agent ? builder.agent() : builder).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            int id = r.request(Request.get("/hello"));
            r.awaitStreamEnd(id, Duration.ofSeconds(5));
            assertTrue(r.streamEnded(id));
            trigger(child, "admin");
            String line = child.awaitStderr(l -> l.startsWith(STOPPED), Duration.ofSeconds(15));
            assertNotNull(line, app + ": server did not stop within 15 s" + child.describeOutput());
            return Long.parseLong(line.substring(STOPPED.length()).replace(" ms", "").trim());
        }
    }
}
