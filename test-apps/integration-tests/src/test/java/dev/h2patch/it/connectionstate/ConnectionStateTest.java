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
import dev.h2patch.it.Exchange;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.Cli;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.Wire;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The connection-state fix (docs/bugs.md#connection-state) against the Netty-based apps.
 *
 * <p>Shutdown: one connection, five {@code /slow?ms=3000} streams (answered from a task scheduled on the event loop),
 * then 1 s later the app shuts its event loop groups down the way applications do ({@code shutdownGracefully()}: 2 s
 * quiet period, 15 s timeout), from {@code /admin/shutdown} or SIGTERM. Without the agent the loops close the socket
 * at once, with no HTTP/2 frame, and cancel the scheduled replies; with it the client gets GOAWAY(NO_ERROR), a stream
 * it opens after the GOAWAY is not served, and all five answers arrive before the connection closes.
 *
 * <p>Idle (issue 13 rule): with an {@code IdleStateHandler} (or {@code ReadTimeoutHandler}) of 1 s, a response that
 * keeps sending, or is quiet for less than two periods, is cut without the agent and completes with it; one quiet
 * longer, or a silent client holding a request open, is still cut, about one period late; {@code idle-defer-max-ms}
 * caps the deferral; WRITER_IDLE keepalive PINGs are never held back.
 *
 * <p>Every wait here has a deadline a few seconds past the moment the behaviour under test is due.
 */
@Timeout(120)
class ConnectionStateTest {
    private static final int STREAMS = 5;
    private static final long SLOW_MS = 3000;
    private static final long IDLE_MS = 1000;
    private static final long QUIET_MS = 2500;
    private static final long SHORT_QUIET_MS = 1500;
    private static final long TICKING_MS = 3500;
    private static final long PING_MS = 500;
    private static final long CAP_MS = 1500;
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
        return TestApps.claiming("Netty", "connection-state");
    }

    static Stream<Arguments> appsAndTriggers() {
        return apps().flatMap(app -> Stream.of(Arguments.of(app, "admin"), Arguments.of(app, "sigterm")));
    }

    static Stream<Arguments> appsAndIdleHandlers() {
        return apps().flatMap(app -> Stream.of(
                Arguments.of(app, "--idle-timeout-ms"), Arguments.of(app, "--read-timeout-ms")));
    }

    static Stream<Arguments> appsAndDeadPeerHandlers() {
        return apps().flatMap(app -> Stream.of(Arguments.of(app, "--reader-idle-ms"),
                Arguments.of(app, "--idle-timeout-ms"), Arguments.of(app, "--read-timeout-ms")));
    }

    static Stream<Arguments> appsAndReaderIdleHandlersWithAndWithoutAgent() {
        return apps().flatMap(app -> Stream.of("--reader-idle-ms", "--read-timeout-ms")
                .flatMap(option -> Stream.of(Arguments.of(app, option, false), Arguments.of(app, option, true))));
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
    //
    // The rule (docs/fixes/connection-state.md, "Idle"): READER_IDLE, ALL_IDLE and read timeouts are held back only
    // while streams are active and HEADERS or DATA moved since the handler's previous event; the first event with a
    // stream open is held back once (no earlier fingerprint); idle-defer-max-ms caps the total; WRITER_IDLE is never
    // touched. Periods are IDLE_MS (1 s); t = 0 is when the request was sent.

    /**
     * Without the agent the idle handler cuts a stream that is quiet for 1.5 s (longer than one period) at about 1 s.
     * (Before issue 13 this test used a 2.5 s quiet stream, which the agent then rescued; under the new rule the agent
     * rescues a stream quiet for less than two periods, and cuts one quiet longer about one period late: see below.)
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("appsAndIdleHandlers")
    void withoutAgentAQuietStreamIsCutByTheIdleHandler(String app, String idleOption) throws Exception {
        try (ChildJvm child = warm(ChildJvm.app(app).appArg(idleOption, String.valueOf(IDLE_MS)).start());
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            int id = r.request(Request.get("/quiet-stream?ms=" + SHORT_QUIET_MS));
            r.awaitStreamEnd(id, Duration.ofMillis(SHORT_QUIET_MS + 2000));
            assertTrue(r.peerClosed(), "the idle handler closed the connection\n" + r.describe());
            assertTrue(!endedWithTick(r, id), "the quiet stream was cut\n" + r.describe());
        }
    }

    /**
     * With the agent, a stream quiet for 1.5 s (its HEADERS at t=0, its DATA at 1.5 s) outlives a 1 s idle handler:
     * the event at 1 s is the first with a stream open and is held back once; at the next one the stream has ended,
     * and the then idle connection is closed as before. (Before issue 13 this test promised the same for a 2.5 s quiet
     * stream; that is no longer so, see the next test.)
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("appsAndIdleHandlers")
    void withAgentAQuietStreamOutlivesTheIdleTimeout(String app, String idleOption) throws Exception {
        try (ChildJvm child = warm(ChildJvm.app(app).agent().appArg(idleOption, String.valueOf(IDLE_MS)).start());
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            int id = r.request(Request.get("/quiet-stream?ms=" + SHORT_QUIET_MS));
            r.awaitStreamEnd(id, Duration.ofMillis(SHORT_QUIET_MS + 2000));
            assertTrue(endedWithTick(r, id), "the quiet stream completes\n" + r.describe() + child.describeOutput());
            // Once no stream is active the idle handler acts as before.
            awaitClose(r, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3 * IDLE_MS + 1000));
            assertTrue(r.peerClosed(), "the then idle connection is closed\n" + r.describe());
            // The idle events the agent held back and let through: no buffer leaked (leak detector at paranoid).
            Wire.assertCleanStderr(child, Request.get("/hello"));
        }
    }

    /**
     * Under the issue-13 rule a stream quiet for 2.5 s is not doing work: with the agent it is cut at the second idle
     * event (about 2 s), one period after it would be without the agent. (Before issue 13 the agent kept it open
     * until its DATA at 2.5 s — and would have kept it forever had the DATA never come.)
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("appsAndIdleHandlers")
    void withAgentAStreamQuietForTwoPeriodsIsCutOnePeriodLate(String app, String idleOption) throws Exception {
        try (ChildJvm child = warm(ChildJvm.app(app).agent().appArg(idleOption, String.valueOf(IDLE_MS)).start());
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            long sent = System.nanoTime();
            int id = r.request(Request.get("/quiet-stream?ms=" + QUIET_MS));
            awaitClose(r, sent + TimeUnit.MILLISECONDS.toNanos(2 * IDLE_MS + 2000));
            long closedAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
            assertTrue(r.peerClosed(), "closed within " + (2 * IDLE_MS + 2000) + " ms\n" + r.describe()
                    + child.describeOutput());
            assertTrue(closedAfter >= IDLE_MS + IDLE_MS / 2, "the first idle event was held back: closed after "
                    + closedAfter + " ms\n" + r.describe());
            assertTrue(!endedWithTick(r, id), "the quiet stream was cut before its DATA\n" + r.describe());
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    /**
     * Issue 13 case 1: a client that sends a POST's HEADERS without END_STREAM and then nothing (it answers SETTINGS
     * and PING) — a dead or silent peer holding one request open. With the agent the idle handler (READER_IDLE +
     * close, ALL_IDLE + close, or ReadTimeoutHandler) still closes the connection, within about two periods. The
     * agent of 00d729f held every event back while the stream was open: never closed.
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("appsAndDeadPeerHandlers")
    void withAgentASilentClientHoldingAStreamOpenIsClosed(String app, String idleOption) throws Exception {
        try (ChildJvm child = warm(ChildJvm.app(app).agent().appArg(idleOption, String.valueOf(IDLE_MS)).start());
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            long sent = System.nanoTime();
            int id = r.openStream(new Request("POST", "/hello", null, List.of(), null));
            awaitClose(r, sent + TimeUnit.MILLISECONDS.toNanos(2 * IDLE_MS + 2000));
            long closedAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
            System.err.println(app + " " + idleOption + " with agent: silent client closed=" + r.peerClosed()
                    + " after " + closedAfter + " ms");
            assertTrue(r.peerClosed(), "the idle handler closed the connection of a silent client within "
                    + (2 * IDLE_MS + 2000) + " ms although stream " + id + " is open\n" + r.describe()
                    + child.describeOutput());
            // One period late, not two: measured 2013 to 2055 ms in CI; an agent that held a second event back
            // would close at about 3 s.
            assertTrue(closedAfter < 2 * IDLE_MS + 700, "closed at the second idle event: after " + closedAfter
                    + " ms\n" + r.describe());
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    /**
     * The control of issue 13 case 1: with no stream open the agent does not touch the event, so the connection is
     * closed at the first one (about 1 s), not one period later. (A guard: the agent of 00d729f behaves the same.)
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("apps")
    void withAgentAConnectionWithNoStreamIsClosedAtTheFirstEvent(String app) throws Exception {
        try (ChildJvm child = warm(ChildJvm.app(app).agent().appArg("--reader-idle-ms", String.valueOf(IDLE_MS))
                .start());
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            long sent = System.nanoTime();
            r.awaitServerSettings(Duration.ofSeconds(5));
            awaitClose(r, sent + TimeUnit.MILLISECONDS.toNanos(2 * IDLE_MS + 2000));
            long closedAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
            System.err.println(app + " with agent: connection with no stream closed=" + r.peerClosed() + " after "
                    + closedAfter + " ms");
            assertTrue(r.peerClosed(), "closed\n" + r.describe() + child.describeOutput());
            assertTrue(closedAfter < 2 * IDLE_MS - 100, "closed at the first event, not one period later: after "
                    + closedAfter + " ms\n" + r.describe());
        }
    }

    /**
     * Issue 13 case 2: a keepalive — {@code IdleStateHandler(0, 500 ms, 0)} sending an HTTP/2 PING on WRITER_IDLE —
     * keeps sending PINGs while a stream is open and quiet (the silent POST). The agent of 00d729f held WRITER_IDLE
     * back too: 0 PINGs.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("apps")
    void withAgentWriterIdleKeepalivePingsKeepComingWhileAStreamIsOpen(String app) throws Exception {
        try (ChildJvm child = warm(ChildJvm.app(app).agent()
                .appArg("--ping-idle-ms", String.valueOf(PING_MS)).start());
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            r.openStream(new Request("POST", "/hello", null, List.of(), null));
            r.readFor(Duration.ofMillis(8 * PING_MS));
            long pings = r.frames().stream().filter(f -> f.is(Frame.PING) && !f.ack()).count();
            System.err.println(app + " with agent: " + pings + " keepalive PINGs in " + (8 * PING_MS) + " ms");
            assertTrue(pings >= 4, "keepalive PINGs keep coming while a stream is open: " + pings + " in "
                    + (8 * PING_MS) + " ms\n" + r.describe() + child.describeOutput());
            // Not one WRITER_IDLE held back either: the first PING comes one period after the server's last write
            // (its SETTINGS and ACKs, at the start), not two. Measured: 7 PINGs in 4 s on every Netty app in CI.
            long start = r.frames().get(0).nanos();
            long firstPing = r.frames().stream().filter(f -> f.is(Frame.PING) && !f.ack()).findFirst()
                    .map(Frame::nanos).orElse(Long.MAX_VALUE);
            long firstPingMs = TimeUnit.NANOSECONDS.toMillis(firstPing - start);
            assertTrue(firstPingMs < PING_MS + PING_MS / 2, "the first keepalive PING after " + firstPingMs
                    + " ms, one period\n" + r.describe());
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    /**
     * The case the fix exists for: a response that sends a DATA frame every 300 ms for 3.5 s to a client that sends
     * nothing. A reader-idle handler (or read timeout) of 1 s cuts it without the agent; with it the stream completes
     * and the then idle connection is closed afterwards.
     */
    @ParameterizedTest(name = "{0} {1} agent={2}")
    @MethodSource("appsAndReaderIdleHandlersWithAndWithoutAgent")
    void aStreamThatKeepsSendingOutlivesAReaderIdleHandlerOnlyWithTheAgent(String app, String idleOption,
                                                                          boolean agent) throws Exception {
        ChildJvm.Builder builder = ChildJvm.app(app).appArg(idleOption, String.valueOf(IDLE_MS));
        try (ChildJvm child = warm((agent ? builder.agent() : builder).start());
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            int id = r.request(Request.get("/ticking?ms=" + TICKING_MS));
            r.awaitStreamEnd(id, Duration.ofMillis(TICKING_MS + 2000));
            boolean completed = endedWithDone(r, id);
            System.err.println(app + " " + idleOption + " agent=" + agent + ": ticking stream completed="
                    + completed + ", closed=" + r.peerClosed());
            if (!agent) {
                assertTrue(!completed && r.peerClosed(), "without the agent the reader-idle handler cuts the stream\n"
                        + r.describe());
                return;
            }
            assertTrue(completed, "with the agent the ticking stream completes\n" + r.describe()
                    + child.describeOutput());
            awaitClose(r, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3 * IDLE_MS + 1000));
            assertTrue(r.peerClosed(), "the then idle connection is closed\n" + r.describe());
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    /**
     * Issue 13: {@code idle-defer-max-ms} caps the deferral. With a cap of 1.5 s and a 1 s reader-idle handler, a
     * stream ticking for 5 s is cut at the second event (about 2 s): holding that one back too would make 2 s of
     * deferral. (Without the agent it is cut at about 1 s; the agent of 00d729f does not know the option, so it
     * installs nothing and the stream is cut at about 1 s as well.)
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("apps")
    void withAgentIdleDeferMaxCapsTheDeferral(String app) throws Exception {
        try (ChildJvm child = warm(ChildJvm.app(app).agent("idle-defer-max-ms=" + CAP_MS)
                .appArg("--reader-idle-ms", String.valueOf(IDLE_MS)).start());
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            long sent = System.nanoTime();
            int id = r.request(Request.get("/ticking?ms=" + 5000));
            awaitClose(r, sent + TimeUnit.MILLISECONDS.toNanos(CAP_MS + IDLE_MS + 2000));
            long closedAfter = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
            System.err.println(app + " with agent, idle-defer-max-ms=" + CAP_MS + ": ticking stream closed="
                    + r.peerClosed() + " after " + closedAfter + " ms");
            assertTrue(child.stderrLines().stream().anyMatch(l -> l.contains("connection-state: active")),
                    "the agent accepted the option and is active" + child.describeOutput());
            assertTrue(r.peerClosed(), "closed within " + (CAP_MS + IDLE_MS + 2000) + " ms\n" + r.describe()
                    + child.describeOutput());
            assertTrue(closedAfter >= CAP_MS, "the first event was held back (closed after " + closedAfter
                    + " ms)\n" + r.describe() + child.describeOutput());
            assertTrue(!endedWithDone(r, id), "the 5 s stream was cut\n" + r.describe());
            // The counters say what happened: the first event held back, the second delivered because of the cap.
            Cli.Result status = Cli.run("status", Long.toString(child.pid()), "--json");
            assertEquals(1, status.counter("connection-state", "idle-deferred"), status + child.describeOutput());
            assertEquals(1, status.counter("connection-state", "idle-capped"), status + child.describeOutput());
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    // -------------------------------------------------------------------------------------------------- helpers

    /**
     * One request on a connection of its own before the measured one: the first connection of a child loads (and
     * with the agent, weaves) the HTTP/2 classes, which on a loaded machine took over a second and would shift every
     * idle period of that connection.
     */
    private static ChildJvm warm(ChildJvm child) throws Exception {
        try {
            Exchange x = FrameRecorder.exchange(child.port(), Request.get("/hello"), Duration.ofSeconds(10),
                    Duration.ZERO);
            assertTrue(x.ended(), "warm-up request answered\n" + x.describe() + child.describeOutput());
            return child;
        } catch (Throwable t) {
            child.close();
            throw t;
        }
    }

    /** Whether the {@code /ticking} answer on stream {@code id} ended with its {@code done} DATA frame. */
    private static boolean endedWithDone(FrameRecorder r, int id) {
        return r.streamFrames(id).stream().anyMatch(f -> f.is(Frame.DATA) && f.endStream()
                && new String(f.payload(), java.nio.charset.StandardCharsets.UTF_8).contains("done"));
    }

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
