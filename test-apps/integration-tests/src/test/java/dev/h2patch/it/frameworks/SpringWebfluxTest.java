package dev.h2patch.it.frameworks;

import static dev.h2patch.it.connectionstate.ConnectionStateScenario.awaitClose;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.countOk;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.lastResponseFrame;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.startSlowStreams;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.trigger;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Exchange;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.FrameRecorder.Transport;
import dev.h2patch.it.Request;
import dev.h2patch.it.earlysettings.SettingsTiming;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.TlsKeys;
import dev.h2patch.it.harness.Wire;
import dev.h2patch.it.proxysafereset.RejectUploadCall;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Spring Boot WebFlux on Reactor Netty (spring-webflux-server: Boot's executable jar, Boot's class loader, Netty 4.2
 * as Boot manages it), each bug shape a WebFlux handler can produce, over h2c and over TLS, without and with the
 * agent. What each test asserts is what was measured (docs/compatibility.md, "Frameworks").
 */
@Timeout(180)
class SpringWebfluxTest {
    private static final String APP = TestApps.app("spring-webflux-server");
    private static final String FAIL_STREAMED = "/h2patch.Test/FailStreamed";
    private static final String REJECT_UPLOAD = "/h2patch.Test/RejectUpload";
    private static final int STREAMS = 5;
    private static final long SLOW_MS = 3000;

    static Stream<Arguments> transportsAndAgent() {
        return Stream.of(Transport.H2C, Transport.TLS)
                .flatMap(t -> Stream.of(Arguments.of(t, false), Arguments.of(t, true)));
    }

    static ChildJvm start(Transport transport, boolean agent, String options, String... args) throws Exception {
        ChildJvm.Builder builder = agent ? Wire.withAgentUnderTest(APP, options) : ChildJvm.app(APP);
        builder = builder.readyTimeout(Duration.ofSeconds(60)).appArg(args);
        return (transport == Transport.TLS ? TlsKeys.tls(builder) : builder).start();
    }

    private static void report(Transport t, boolean agent, String what) {
        System.err.println("[spring-webflux] " + t + (agent ? " with agent" : " without agent") + ", " + what);
    }

    /**
     * Every bug shape but the shutdown, on one app start (Boot starts slowly) per transport and agent:
     *
     * <ul>
     *   <li>end-stream, the error with a known-empty body ({@code ServerResponse...build()}): Reactor Netty sends one
     *       HEADERS with END_STREAM (and content-length: 0) by itself. Not reproduced: the same frames with the
     *       agent.</li>
     *   <li>end-stream, the same error with its empty body written as a stream ({@code Flux.empty()}): HEADERS
     *       without END_STREAM, then an empty DATA with END_STREAM (the bug, h2c and TLS); with the agent one HEADERS
     *       with END_STREAM. The agent's line names Boot's {@code LaunchedClassLoader}: it patches the Netty inside
     *       Boot's nested jar.</li>
     *   <li>proxy-safe-reset: {@code RejectUpload} answers at once while the client still sends (unary with a 30 ms
     *       gap, a 500 ms client stream): Reactor Netty sends no RST_STREAM after the complete response. Not
     *       reproduced.</li>
     *   <li>early-settings on Boot's default h2c port (HTTP/1.1 first): no SETTINGS while the client is silent, with
     *       the agent as without (not applicable: such a port cannot speak first).</li>
     * </ul>
     */
    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("transportsAndAgent")
    void bugShapes(Transport t, boolean agent) throws Exception {
        try (ChildJvm child = start(t, agent, "reset-defer-ms=1000")) {
            Exchange known = t.exchange(child.port(), Request.grpc(Wire.FAIL_PATH));
            report(t, agent, "end-stream, known-empty body: " + known.responseShape());
            Wire.assertFixed(known, child);

            Exchange streamed = t.exchange(child.port(), Request.grpc(FAIL_STREAMED));
            report(t, agent, "end-stream, streamed empty body: " + streamed.responseShape());
            if (agent) {
                Wire.assertFixed(streamed, child);
                assertTrue(child.stderrLines().stream().anyMatch(l -> l.contains("h2patch - end-stream: active")
                        && l.contains("LaunchedClassLoader")), "end-stream active in Boot's class loader\n"
                        + child.describeOutput());
            } else {
                Wire.assertUnfixed(streamed, child);
            }
            Exchange hello = t.exchange(child.port(), Request.get("/hello"));
            assertTrue(hello.ended() && "200".equals(hello.header(":status")), hello.describe());

            for (Duration streamFor : List.of(Duration.ZERO, Duration.ofMillis(500))) {
                Exchange x = RejectUploadCall.call(t, child.port(), REJECT_UPLOAD, streamFor, 30);
                report(t, agent, "proxy-safe-reset " + RejectUploadCall.describe(streamFor) + ": "
                        + x.responseShape());
                RejectUploadCall.assertCompleteResponse(x, child);
                assertEquals(List.of(), RejectUploadCall.resetCodes(x), "no RST_STREAM after the complete response, "
                        + "with the agent as without" + Wire.context(x, child));
            }
            if (t == Transport.H2C) {
                long best = SettingsTiming.best(() -> SettingsTiming.settingsOnConnect(t, child.port(),
                        SettingsTiming.SILENCE));
                report(t, agent, "early-settings on Boot's default port (HTTP/1.1 first): SETTINGS, client silent: "
                        + SettingsTiming.describe(best));
                // Measured: none, with the agent as without. Boot's default h2c port (Reactor Netty's HTTP11 + H2C)
                // reads HTTP/1.1 until the client's preface or upgrade arrives: it cannot speak first by design, and
                // the agent answers only a port sniffer that holds a preface (docs/fixes/early-settings.md).
                assertEquals(-1, best, "no SETTINGS before the client speaks on an HTTP/1.1-first port\n"
                        + child.describeOutput());
            }
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    /**
     * early-settings: connect (over TLS: the handshake), send nothing: the server's SETTINGS comes within 1 s, over
     * TLS and on h2c prior knowledge ({@code --h2c-only}), without the agent as with it. Not reproduced.
     */
    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("transportsAndAgent")
    void earlySettings(Transport t, boolean agent) throws Exception {
        String[] args = t == Transport.H2C ? new String[] {"--h2c-only"} : new String[0];
        try (ChildJvm child = start(t, agent, null, args)) {
            t.exchange(child.port(), Request.get("/hello"));
            long best = SettingsTiming.best(() -> SettingsTiming.settingsOnConnect(t, child.port(),
                    SettingsTiming.SILENCE));
            report(t, agent, "early-settings" + (args.length > 0 ? " (--h2c-only)" : "")
                    + ": SETTINGS, client silent: " + SettingsTiming.describe(best));
            assertTrue(best >= 0, "the server's SETTINGS within " + SettingsTiming.SILENCE.toMillis() + " ms\n"
                    + child.describeOutput());
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    /**
     * connection-state: five {@code /slow?ms=3000} streams on one connection, then 1 s later {@code /admin/shutdown}
     * (SpringApplication.exit: Boot's graceful shutdown, server.shutdown=graceful). Boot's graceful shutdown of
     * Reactor Netty already does it right: GOAWAY(NO_ERROR), the five answers, then the close, h2c and TLS, with the
     * agent as without. Not reproduced.
     */
    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("transportsAndAgent")
    void connectionState(Transport t, boolean agent) throws Exception {
        try (ChildJvm child = start(t, agent, null);
             FrameRecorder r = t.connect(child.port())) {
            List<Integer> ids = startSlowStreams(r, STREAMS, SLOW_MS);
            Thread.sleep(1000);
            long triggered = System.nanoTime();
            trigger(t, child, "admin");
            awaitClose(r, triggered + TimeUnit.MILLISECONDS.toNanos(SLOW_MS + 5000));
            int ok = countOk(r, ids);
            Frame goaway = r.frames().stream().filter(f -> f.is(Frame.GOAWAY)).findFirst().orElse(null);
            report(t, agent, "connection-state: " + ok + "/" + STREAMS + " answered, first GOAWAY "
                    + (goaway == null ? "none" : goaway.describe()) + ", closed=" + r.peerClosed() + "\n"
                    + r.describe());
            assertNotNull(goaway, "GOAWAY before the close\n" + r.describe() + child.describeOutput());
            assertEquals(0L, goaway.errorCode(), goaway.describe());
            assertEquals(STREAMS, ok, "every in-flight stream completes with 200\n" + r.describe()
                    + child.describeOutput());
            List<Frame> all = r.frames();
            assertTrue(all.indexOf(goaway) < all.indexOf(lastResponseFrame(r, ids)), "GOAWAY before the answers\n"
                    + r.describe());
            assertTrue(r.peerClosed(), "the server closes the connection once the streams are done\n"
                    + r.describe() + child.describeOutput());
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }
}
