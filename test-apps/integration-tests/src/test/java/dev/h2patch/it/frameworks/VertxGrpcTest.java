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
import dev.h2patch.it.GrpcGoClient;
import dev.h2patch.it.Request;
import dev.h2patch.it.earlysettings.SettingsTiming;
import dev.h2patch.it.harness.RequiredPeer;
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
 * Vert.x 4 with vertx-grpc-server (vertx-grpc-server: Vert.x's HttpServer with GrpcServer as its handler, Netty 4.1
 * as Vert.x brings it), each bug shape it can produce, over h2c and TLS, without and with the agent. What each test
 * asserts is what was measured (docs/compatibility.md, "Frameworks").
 */
@Timeout(180)
class VertxGrpcTest {
    private static final String APP = TestApps.app("vertx-grpc-server");
    private static final String FAIL_WITH_TRAILERS = "/h2patch.Test/FailWithTrailers";
    private static final String UNKNOWN = "/h2patch.Test/NoSuchMethod";
    private static final String REJECT_UPLOAD = "/h2patch.Test/RejectUpload";
    private static final int STREAMS = 5;
    private static final long SLOW_MS = 3000;

    static Stream<Arguments> transportsAndAgent() {
        return Stream.of(Transport.H2C, Transport.TLS)
                .flatMap(t -> Stream.of(Arguments.of(t, false), Arguments.of(t, true)));
    }

    static ChildJvm start(Transport transport, boolean agent, String options, String... args) throws Exception {
        ChildJvm.Builder builder = agent ? Wire.withAgentUnderTest(APP, options) : ChildJvm.app(APP);
        builder = builder.appArg(args);
        return (transport == Transport.TLS ? TlsKeys.tls(builder) : builder).start();
    }

    private static void report(Transport t, boolean agent, String what) {
        System.err.println("[vertx-grpc] " + t + (agent ? " with agent" : " without agent") + ", " + what);
    }

    private static void assertTrailersOnly(Exchange x, String status, ChildJvm child) {
        List<Frame> fs = x.responseFrames();
        assertTrue(x.ended() && fs.size() == 1 && fs.get(0).is(Frame.HEADERS) && fs.get(0).endStream(),
                "one Trailers-Only HEADERS with END_STREAM" + Wire.context(x, child));
        assertEquals(status, fs.get(0).header("grpc-status"), Wire.context(x, child));
    }

    /**
     * end-stream: the gRPC errors Vert.x writes (NOT_FOUND, NOT_FOUND with a custom trailer, UNIMPLEMENTED for an
     * unknown method) are each one Trailers-Only HEADERS with END_STREAM, the custom trailer in it, with the agent as
     * without: not reproduced.
     */
    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("transportsAndAgent")
    void grpcErrorsAreTrailersOnly(Transport t, boolean agent) throws Exception {
        try (ChildJvm child = start(t, agent, null)) {
            Exchange fail = t.exchange(child.port(), Request.grpc(Wire.FAIL_PATH));
            Exchange trailers = t.exchange(child.port(), Request.grpc(FAIL_WITH_TRAILERS));
            Exchange unknown = t.exchange(child.port(), Request.grpc(UNKNOWN));
            Exchange echo = t.exchange(child.port(), Request.grpc(Wire.ECHO_PATH, new byte[] {1, 2, 3}));
            report(t, agent, "Fail " + fail.responseShape() + "; FailWithTrailers " + trailers.responseShape()
                    + "; unknown method " + unknown.responseShape() + "; Echo " + echo.responseShape());
            assertTrailersOnly(fail, "5", child);
            assertTrailersOnly(trailers, "5", child);
            assertEquals("custom trailer", trailers.header("x-h2patch-detail"), Wire.context(trailers, child));
            assertTrailersOnly(unknown, "12", child);
            assertTrue(echo.ended(), echo.describe());
            assertEquals("0", echo.header("grpc-status"), Wire.context(echo, child));
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    /**
     * The report: a gRPC error with custom trailers reaching grpc-go as Unknown. With Vert.x 4.5 grpc-go
     * reads NOT_FOUND "no such thing" from {@code Fail} with a custom trailer ({@code --fail-trailers}), h2c and TLS,
     * with the agent as without.
     */
    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("transportsAndAgent")
    void grpcGoReadsCustomTrailerErrors(Transport t, boolean agent) throws Exception {
        RequiredPeer.require(GrpcGoClient.isBuilt(), "grpc-go client not built (" + GrpcGoClient.binary()
                + "); build it with " + GrpcGoClient.BUILD_HINT);
        try (ChildJvm child = start(t, agent, null, "--fail-trailers")) {
            GrpcGoClient.Result r = GrpcGoClient.run(child.port(), "unary", Duration.ofSeconds(5), t == Transport.TLS);
            report(t, agent, "grpc-go unary, error with a custom trailer: " + r);
            assertTrue(r.output().contains("code=NotFound") && r.output().contains("no such thing"),
                    "grpc-go: " + r + "\n" + child.describeOutput());
        }
    }

    /**
     * proxy-safe-reset: RejectUpload answers at once while the client still sends (unary with a 30 ms gap, a 500 ms
     * client stream): Vert.x sends no RST_STREAM after the complete response, with the agent as without. Not
     * reproduced.
     */
    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("transportsAndAgent")
    void proxySafeReset(Transport t, boolean agent) throws Exception {
        try (ChildJvm child = start(t, agent, "reset-defer-ms=1000")) {
            for (Duration streamFor : List.of(Duration.ZERO, Duration.ofMillis(500))) {
                Exchange x = RejectUploadCall.call(t, child.port(), REJECT_UPLOAD, streamFor, 30);
                report(t, agent, "proxy-safe-reset " + RejectUploadCall.describe(streamFor) + ": "
                        + x.responseShape());
                List<Frame> fs = x.responseFrames();
                assertTrue(!fs.isEmpty() && fs.get(0).is(Frame.HEADERS) && fs.get(0).endStream()
                        && "7".equals(fs.get(0).header("grpc-status")), Wire.context(x, child));
                assertEquals(List.of(), RejectUploadCall.resetCodes(x), "no RST_STREAM after the complete response"
                        + Wire.context(x, child));
            }
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    /**
     * early-settings: connect (TLS: the handshake), send nothing. Over TLS Vert.x sends its SETTINGS at once; its h2c
     * port is HTTP/1.1 first (h2c by preface or upgrade) and sends none while the client is silent (not applicable:
     * it cannot speak first). The same with the agent as without.
     */
    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("transportsAndAgent")
    void earlySettings(Transport t, boolean agent) throws Exception {
        try (ChildJvm child = start(t, agent, null)) {
            t.exchange(child.port(), Request.get("/hello"));
            long best = SettingsTiming.best(() -> SettingsTiming.settingsOnConnect(t, child.port(),
                    SettingsTiming.SILENCE));
            report(t, agent, "early-settings: SETTINGS, client silent: " + SettingsTiming.describe(best));
            if (t == Transport.TLS) {
                assertTrue(best >= 0, "SETTINGS within " + SettingsTiming.SILENCE.toMillis() + " ms of the handshake\n"
                        + child.describeOutput());
            } else {
                assertEquals(-1, best, "no SETTINGS before the client speaks on an HTTP/1.1-first port\n"
                        + child.describeOutput());
            }
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    /**
     * connection-state: five {@code /slow?ms=3000} streams on one connection, then 1 s later {@code /admin/shutdown}
     * ({@code vertx.close()}, Vert.x 4's way to stop). Without the agent Vert.x sends GOAWAY(NO_ERROR) and closes the
     * connection with none of the five answered; with it (the Netty event loop group drain) all five are answered
     * after the GOAWAY, then the connection closes. Fixed, h2c and TLS.
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
            if (agent) {
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
            } else {
                assertTrue(ok < STREAMS, "without the agent vertx.close() cuts in-flight streams\n" + r.describe()
                        + child.describeOutput());
            }
        }
    }
}
