package dev.h2patch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.h2patch.it.ConnectionStateScenario.awaitClose;
import static dev.h2patch.it.ConnectionStateScenario.awaitExit;
import static dev.h2patch.it.ConnectionStateScenario.countOk;
import static dev.h2patch.it.ConnectionStateScenario.endedWithTick;
import static dev.h2patch.it.ConnectionStateScenario.lastResponseFrame;
import static dev.h2patch.it.ConnectionStateScenario.lastStreamId;
import static dev.h2patch.it.ConnectionStateScenario.startSlowStreams;
import static dev.h2patch.it.ConnectionStateScenario.trigger;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The connection-state fix (seed 003) against the Netty-based apps.
 *
 * <p>Shutdown: one connection, five {@code /slow?ms=3000} streams (answered from a task scheduled on the event loop),
 * then 1 s later the app shuts its event loop groups down the way applications do ({@code shutdownGracefully()}: 2 s
 * quiet period, 15 s timeout), from {@code /admin/shutdown} or SIGTERM. Without the agent the loops close the socket
 * at once, with no HTTP/2 frame, and cancel the scheduled replies; with it the client gets GOAWAY(NO_ERROR), a stream
 * it opens after the GOAWAY is not served, and all five answers arrive before the connection closes.
 *
 * <p>Idle: with an {@code IdleStateHandler} (or {@code ReadTimeoutHandler}) of 1 s, a streaming response quiet for
 * 2.5 s is cut without the agent and completes with it; the idle connection is closed afterwards all the same.
 *
 * <p>Every wait here has a deadline a few seconds past the moment the behaviour under test is due.
 */
@Timeout(120)
class ConnectionStateTest {
    private static final int STREAMS = 5;
    private static final long SLOW_MS = 3000;
    private static final long IDLE_MS = 1000;
    private static final long QUIET_MS = 2500;
    private static final long NO_ERROR = 0x0;
    private static final long REFUSED_STREAM = 0x7;
    /** Netty's default quiet period for shutdownGracefully(); the app's shutdown cannot end sooner. */
    private static final long NETTY_QUIET_MS = 2000;
    private static final String TERMINATED = "admin: event loops terminated after ";
    /** A stream far longer than any bound under test. */
    private static final long LONG_SLOW_MS = 10000;
    /** The shutdown-drain-ms given in the bound test. */
    private static final long DRAIN_BOUND_MS = 1500;
    /** shutdownGracefully(0, 0): Netty alone takes a few ms; this leaves room for a loaded machine. */
    private static final long IMMEDIATE_BUDGET_MS = 3000;

    static Stream<String> apps() {
        return Wire.nettyApps();
    }

    static Stream<Arguments> appsAndTriggers() {
        return Wire.nettyApps().flatMap(app -> Stream.of(Arguments.of(app, "admin"), Arguments.of(app, "sigterm")));
    }

    static Stream<Arguments> appsAndIdleHandlers() {
        return Wire.nettyApps().flatMap(app -> Stream.of(
                Arguments.of(app, "--idle-timeout-ms"), Arguments.of(app, "--read-timeout-ms")));
    }

    // ------------------------------------------------------------------------------------------------- shutdown

    @ParameterizedTest(name = "{0}")
    @MethodSource("apps")
    void withoutAgentShutdownCutsInFlightStreams(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).appArg("--user-shutdown").start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            List<Integer> ids = startSlowStreams(r, STREAMS, SLOW_MS);
            Thread.sleep(1000);
            trigger(child, "admin");
            r.readUntil(f -> false, Duration.ofMillis(SLOW_MS + 3000));
            int ok = countOk(r, ids);
            System.err.println(app + " without agent: " + ok + "/" + STREAMS + " streams answered, closed="
                    + r.peerClosed() + "\n" + r.describe());
            assertTrue(ok < STREAMS, "without the agent at least one in-flight stream should fail\n" + r.describe()
                    + child.describeOutput());
            assertTrue(r.peerClosed(), "the server closed the connection\n" + r.describe());
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("appsAndTriggers")
    void withAgentShutdownSendsGoawayAndLetsInFlightStreamsFinish(String app, String trigger) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).agent().appArg("--user-shutdown").start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            long start = System.nanoTime();
            List<Integer> ids = startSlowStreams(r, STREAMS, SLOW_MS);
            Thread.sleep(1000);
            long triggered = System.nanoTime();
            trigger(child, trigger);

            List<Frame> frames = r.readUntil(f -> f.is(Frame.GOAWAY), Duration.ofMillis(2000));
            Frame goaway = frames.stream().filter(f -> f.is(Frame.GOAWAY)).findFirst().orElse(null);
            assertNotNull(goaway, "GOAWAY within 2 s of the shutdown\n" + r.describe() + child.describeOutput());
            assertEquals(NO_ERROR, goaway.errorCode(), goaway.describe());
            int lastStream = lastStreamId(goaway);
            assertEquals(ids.get(ids.size() - 1), lastStream, "GOAWAY names the last stream the client opened");
            assertTrue(!r.peerClosed(), "GOAWAY comes before the close, while streams are in flight");

            // A stream opened after the GOAWAY is not served: GOAWAY's last stream id is below it (RFC 9113 §6.8),
            // and the server ignores it or refuses it; either way nothing hangs.
            int late = r.request(Request.get("/hello"));
            assertTrue(late > lastStream);

            long deadline = triggered + TimeUnit.MILLISECONDS.toNanos(SLOW_MS + 3000);
            awaitClose(r, deadline);
            assertTrue(r.peerClosed(), "the server closes the connection once the streams are done (within "
                    + (SLOW_MS + 3000) + " ms of the shutdown)\n" + r.describe() + child.describeOutput());
            assertEquals(STREAMS, countOk(r, ids), "every in-flight stream completes with 200\n" + r.describe()
                    + child.describeOutput());
            for (Frame f : r.streamFrames(late)) {
                assertTrue(f.is(Frame.RST_STREAM) && f.errorCode() == REFUSED_STREAM || f.is(Frame.WINDOW_UPDATE),
                        "a stream opened after GOAWAY is refused or ignored, never served: " + f.describe());
            }
            List<Frame> all = r.frames();
            assertTrue(all.indexOf(goaway) < all.indexOf(lastResponseFrame(r, ids)),
                    "GOAWAY came before the answers\n" + r.describe());
            awaitExit(child, triggered + TimeUnit.MILLISECONDS.toNanos(SLOW_MS + NETTY_QUIET_MS + 5000));
            assertTrue(!child.isAlive(), "the app's shutdown completes (quiet period after the drain)");
            System.err.println(app + " " + trigger + " with agent: connect→close "
                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms\n" + r.describe());
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apps")
    void shutdownWithNoActiveStreamIsNotSlowedDown(String app) throws Exception {
        long without = idleShutdownMillis(app, false);
        long with = idleShutdownMillis(app, true);
        System.err.println(app + ": shutdown with one idle connection took " + without + " ms without the agent, "
                + with + " ms with it");
        assertTrue(with < without + 500, "with the agent " + with + " ms, without " + without + " ms");
        assertTrue(with < NETTY_QUIET_MS + 1000, "with the agent " + with + " ms");
    }

    /**
     * Issue 14: {@code shutdownGracefully(0, 0, unit)} asks for "now" (Netty requires timeout >= quiet period, so both
     * are 0). The drain lasts no longer than the quiet period the application gave — none — so the loops stop at once
     * even with a stream in flight, as without the agent. (The agent at 00d729f drained for up to shutdown-drain-ms,
     * 30 s by default, here until the 10 s stream ended.)
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("apps")
    void withAgentAnImmediateShutdownIsNotHeldByTheDrain(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).agent()
                .appArg("--user-shutdown", "--shutdown-quiet-ms", "0", "--shutdown-timeout-ms", "0").start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            List<Integer> ids = startSlowStreams(r, 1, LONG_SLOW_MS);
            Thread.sleep(500);
            trigger(child, "admin");
            long took = terminatedAfterMillis(child, LONG_SLOW_MS + 5000);
            System.err.println(app + ": shutdownGracefully(0, 0) with a stream in flight: loops terminated after "
                    + took + " ms");
            assertTrue(took < IMMEDIATE_BUDGET_MS, "shutdownGracefully(0, 0) must not wait for the in-flight stream: "
                    + took + " ms\n" + r.describe() + child.describeOutput());
            assertEquals(0, countOk(r, ids), "the stream was cut, as the application asked\n" + r.describe());
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    /**
     * Issue 14: {@code shutdown-drain-ms} caps the drain. With shutdown-drain-ms=1500, the app's
     * {@code shutdownGracefully()} (2 s quiet period, 15 s timeout) and a stream that would need 10 s, the drain (GOAWAY
     * first) ends at 1.5 s and the loops terminate after Netty's quiet period: about 3.5 s, not the 12 s that waiting
     * for the stream takes (the agent at 00d729f used the application's 15 s timeout as the only bound).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("apps")
    void shutdownDrainMsBoundsTheDrain(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).agent("shutdown-drain-ms=" + DRAIN_BOUND_MS)
                .appArg("--user-shutdown").start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            List<Integer> ids = startSlowStreams(r, 1, LONG_SLOW_MS);
            Thread.sleep(500);
            trigger(child, "admin");
            List<Frame> frames = r.readUntil(f -> f.is(Frame.GOAWAY), Duration.ofMillis(2000));
            assertTrue(frames.stream().anyMatch(f -> f.is(Frame.GOAWAY) && f.errorCode() == NO_ERROR),
                    "the drain starts with GOAWAY(NO_ERROR)\n" + r.describe() + child.describeOutput());
            long took = terminatedAfterMillis(child, LONG_SLOW_MS + NETTY_QUIET_MS + 5000);
            System.err.println(app + ": shutdown-drain-ms=" + DRAIN_BOUND_MS + ", shutdownGracefully() with a "
                    + LONG_SLOW_MS + " ms stream: loops terminated after " + took + " ms");
            assertTrue(took >= DRAIN_BOUND_MS, "the drain held the shutdown for its bound: " + took + " ms");
            assertTrue(took < DRAIN_BOUND_MS + NETTY_QUIET_MS + 2500, "the drain must end at shutdown-drain-ms ("
                    + DRAIN_BOUND_MS + " ms), then Netty's quiet period: " + took + " ms\n" + r.describe()
                    + child.describeOutput());
            assertEquals(0, countOk(r, ids), "the 10 s stream could not finish within the bound\n" + r.describe());
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    // ----------------------------------------------------------------------------------------------------- idle

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("appsAndIdleHandlers")
    void withoutAgentAQuietStreamIsCutByTheIdleHandler(String app, String idleOption) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).appArg(idleOption, String.valueOf(IDLE_MS)).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            int id = r.request(Request.get("/quiet-stream?ms=" + QUIET_MS));
            r.awaitStreamEnd(id, Duration.ofMillis(QUIET_MS + 2000));
            assertTrue(r.peerClosed(), "the idle handler closed the connection\n" + r.describe());
            assertTrue(!endedWithTick(r, id), "the quiet stream was cut\n" + r.describe());
        }
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("appsAndIdleHandlers")
    void withAgentAQuietStreamOutlivesTheIdleTimeout(String app, String idleOption) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).agent().appArg(idleOption, String.valueOf(IDLE_MS)).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            int id = r.request(Request.get("/quiet-stream?ms=" + QUIET_MS));
            r.awaitStreamEnd(id, Duration.ofMillis(QUIET_MS + 2000));
            assertTrue(endedWithTick(r, id), "the quiet stream completes\n" + r.describe() + child.describeOutput());
            // Once no stream is active the idle handler acts as before.
            awaitClose(r, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3 * IDLE_MS + 1000));
            assertTrue(r.peerClosed(), "the then idle connection is closed\n" + r.describe());
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    // -------------------------------------------------------------------------------------------------- helpers

    /** The app's own reading of how long its event loops took to terminate after its shutdown calls. */
    private static long terminatedAfterMillis(ChildJvm child, long waitMillis) throws Exception {
        String line = child.awaitStderr(l -> l.startsWith(TERMINATED), Duration.ofMillis(waitMillis));
        assertNotNull(line, "event loops did not terminate within " + waitMillis + " ms" + child.describeOutput());
        return Long.parseLong(line.substring(TERMINATED.length()).replace(" ms", "").trim());
    }

    /** How long the app's event loops took to terminate after its shutdown calls, with one idle connection open. */
    private static long idleShutdownMillis(String app, boolean agent) throws Exception {
        ChildJvm.Builder builder = ChildJvm.app(app).appArg("--user-shutdown");
        try (ChildJvm child = (agent ? builder.agent() : builder).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            int id = r.request(Request.get("/hello"));
            r.awaitStreamEnd(id, Duration.ofSeconds(5));
            assertTrue(r.streamEnded(id));
            trigger(child, "admin");
            // The app prints how long its event loops took to terminate after its shutdownGracefully() calls. (The
            // JVM's exit is not compared: Netty's non-daemon globalEventExecutor thread keeps it alive about 1 s
            // longer, with and without the agent.)
            String line = child.awaitStderr(l -> l.startsWith(TERMINATED), Duration.ofSeconds(10));
            assertNotNull(line, app + ": event loops did not terminate within 10 s" + child.describeOutput());
            long took = Long.parseLong(line.substring(TERMINATED.length()).replace(" ms", "").trim());
            if (agent) {
                assertTrue(r.frames().stream().anyMatch(f -> f.is(Frame.GOAWAY) && f.errorCode() == NO_ERROR),
                        "with the agent even an idle connection gets GOAWAY(NO_ERROR)\n" + r.describe());
            }
            return took;
        }
    }
}
