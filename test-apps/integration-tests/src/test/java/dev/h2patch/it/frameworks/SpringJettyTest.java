package dev.h2patch.it.frameworks;

import static dev.h2patch.it.connectionstate.ConnectionStateScenario.awaitClose;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.countOk;
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
 * Spring Boot MVC on Jetty (spring-jetty-server: Boot 4.0.7's executable jar with spring-boot-starter-jetty instead of
 * Tomcat, Jetty 12.1 as Boot manages it, Boot's class loader), each bug shape a servlet controller can produce, over
 * h2c and TLS, without and with the agent: do the Jetty 12 fixes apply inside Boot? What each test asserts is what
 * was measured (docs/frameworks.md).
 */
@Timeout(180)
class SpringJettyTest {
    private static final String APP = TestApps.app("spring-jetty-server");
    private static final String FAIL_FLUSHED = "/h2patch.Test/FailFlushed";
    private static final String REJECT_UPLOAD = "/h2patch.Test/RejectUpload";
    private static final int STREAMS = 5;
    private static final long SLOW_MS = 3000;

    static Stream<Arguments> transportsAndAgent() {
        return Stream.of(Transport.H2C, Transport.TLS)
                .flatMap(t -> Stream.of(Arguments.of(t, false), Arguments.of(t, true)));
    }

    static Stream<Arguments> tlsAndAgent() {
        return Stream.of(Arguments.of(Transport.TLS, false), Arguments.of(Transport.TLS, true));
    }

    static ChildJvm start(Transport transport, boolean agent, String options, String... args) throws Exception {
        ChildJvm.Builder builder = agent ? Wire.withAgentUnderTest(APP, options) : ChildJvm.app(APP);
        builder = builder.readyTimeout(Duration.ofSeconds(60)).appArg(args);
        return (transport == Transport.TLS ? TlsKeys.tls(builder) : builder).start();
    }

    private static void report(Transport t, boolean agent, String what) {
        System.err.println("[spring-jetty] " + t + (agent ? " with agent" : " without agent") + ", " + what);
    }

    /**
     * Every bug shape but the shutdown and the TLS SETTINGS, on one app start per transport and agent:
     *
     * <ul>
     *   <li>end-stream, the error as a body-less {@code ResponseEntity}: Jetty sends one HEADERS with END_STREAM (and
     *       content-length: 0) by itself. Not reproduced: the same frames with the agent.</li>
     *   <li>end-stream, the same error committed with {@code flushBuffer()} before the controller returns: HEADERS
     *       without END_STREAM, then DATA(0, END_STREAM) (the bug); with the agent one HEADERS with END_STREAM, h2c
     *       and TLS. The agent's line names Boot's {@code LaunchedClassLoader}.</li>
     *   <li>proxy-safe-reset: {@code RejectUpload} returns before the body is read, while the client still sends
     *       (unary with a 30 ms gap, a 500 ms client stream): Jetty sends RST_STREAM(CANCEL) after the complete
     *       response, on both calls (the bug); with the agent (reset-defer-ms=1000) none. Fixed, h2c and TLS.</li>
     *   <li>early-settings on Boot's default h2c connector (HTTP/1.1 first, h2c by preface or upgrade): no SETTINGS
     *       while the client is silent, with the agent as without (not applicable: it cannot speak first).</li>
     * </ul>
     */
    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("transportsAndAgent")
    void bugShapes(Transport t, boolean agent) throws Exception {
        try (ChildJvm child = start(t, agent, "reset-defer-ms=1000")) {
            Exchange known = t.exchange(child.port(), Request.grpc(Wire.FAIL_PATH));
            report(t, agent, "end-stream, known-empty body: " + known.responseShape());
            Wire.assertFixed(known, child);

            Exchange flushed = t.exchange(child.port(), Request.grpc(FAIL_FLUSHED));
            report(t, agent, "end-stream, flushed empty body: " + flushed.responseShape());
            if (agent) {
                Wire.assertFixed(flushed, child);
                assertTrue(child.stderrLines().stream().anyMatch(l -> l.contains("h2patch - end-stream: active")
                        && l.contains("LaunchedClassLoader")), "end-stream active in Boot's class loader\n"
                        + child.describeOutput());
            } else {
                Wire.assertUnfixed(flushed, child);
            }
            Exchange hello = t.exchange(child.port(), Request.get("/hello"));
            assertTrue(hello.ended() && "200".equals(hello.header(":status")), hello.describe());

            for (Duration streamFor : List.of(Duration.ZERO, Duration.ofMillis(500))) {
                Exchange x = RejectUploadCall.call(t, child.port(), REJECT_UPLOAD, streamFor, 30);
                report(t, agent, "proxy-safe-reset " + RejectUploadCall.describe(streamFor) + ": "
                        + x.responseShape());
                RejectUploadCall.assertCompleteResponse(x, child);
                if (agent) {
                    assertEquals(List.of(), RejectUploadCall.resetCodes(x), RejectUploadCall.describe(streamFor)
                            + ": no RST_STREAM may follow the complete response" + Wire.context(x, child));
                } else {
                    assertEquals(0x8L, RejectUploadCall.firstResetCode(x), RejectUploadCall.describe(streamFor)
                            + ": without the agent Jetty resets the stream (CANCEL) after the complete response"
                            + Wire.context(x, child));
                }
            }
            if (t == Transport.H2C) {
                long best = SettingsTiming.best(() -> SettingsTiming.settingsOnConnect(t, child.port(),
                        SettingsTiming.SILENCE));
                report(t, agent, "early-settings on Boot's default port (HTTP/1.1 first): SETTINGS, client silent: "
                        + SettingsTiming.describe(best));
                assertEquals(-1, best, "no SETTINGS before the client speaks on an HTTP/1.1-first port\n"
                        + child.describeOutput());
            }
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    /**
     * early-settings over TLS (Boot's server.ssl.*: Jetty's SslConnectionFactory + ALPN h2): connect, finish the
     * handshake, send nothing. Without the agent Jetty waits for the client's preface (no SETTINGS within 1 s); with
     * it the SETTINGS comes at once. Fixed.
     */
    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("tlsAndAgent")
    void earlySettings(Transport t, boolean agent) throws Exception {
        try (ChildJvm child = start(t, agent, null)) {
            t.exchange(child.port(), Request.get("/hello"));
            long best = SettingsTiming.best(() -> SettingsTiming.settingsOnConnect(t, child.port(),
                    SettingsTiming.SILENCE));
            report(t, agent, "early-settings: SETTINGS, client silent: " + SettingsTiming.describe(best));
            if (agent) {
                assertTrue(best >= 0, "the server's SETTINGS within " + SettingsTiming.SILENCE.toMillis()
                        + " ms of the handshake\n" + child.describeOutput());
            } else {
                assertEquals(-1, best, "measured: Jetty with ALPN waits for the client's preface without the agent\n"
                        + child.describeOutput());
            }
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    /**
     * connection-state: five {@code /slow?ms=3000} streams on one connection, then 1 s later {@code /admin/shutdown}
     * (SpringApplication.exit: Boot's graceful shutdown, server.shutdown=graceful). Boot waits for the active requests
     * before it stops Jetty: all five are answered, then GOAWAY(NO_ERROR) and the close, h2c and TLS, with the agent
     * as without. Not reproduced (no GOAWAY comes before the answers either way: Boot's wait tells the client
     * nothing).
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
            assertEquals(STREAMS, ok, "every in-flight stream completes with 200\n" + r.describe()
                    + child.describeOutput());
            assertNotNull(goaway, "GOAWAY before the close\n" + r.describe() + child.describeOutput());
            assertEquals(0L, goaway.errorCode(), goaway.describe());
            assertTrue(r.peerClosed(), "the server closes the connection once the streams are done\n"
                    + r.describe() + child.describeOutput());
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }
}
