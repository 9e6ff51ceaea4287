package dev.h2patch.it.tls;

import static dev.h2patch.it.connectionstate.ConnectionStateScenario.awaitClose;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.countOk;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.lastResponseFrame;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.lastStreamId;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.startSlowStreams;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.trigger;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.Catalog;
import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Exchange;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.FrameRecorder.Transport;
import dev.h2patch.it.GrpcGoClient;
import dev.h2patch.it.Haproxy;
import dev.h2patch.it.Request;
import dev.h2patch.it.earlysettings.SettingsTiming;
import dev.h2patch.it.harness.RequiredPeer;
import dev.h2patch.it.TlsKeys;
import dev.h2patch.it.harness.Wire;
import dev.h2patch.it.interop.PeerClients;
import dev.h2patch.it.proxysafereset.RejectUploadCall;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every fix's scenario over TLS with ALPN h2, on every catalog app with the {@code tls} connector (its {@code --tls}
 * mode: Netty's {@code SslHandler} + {@code ApplicationProtocolNegotiationHandler}, Jetty 12's
 * {@code SslConnectionFactory} + {@code ALPNServerConnectionFactory}), without and with the agent, with the raw
 * client over an {@code SSLSocket} ({@link FrameRecorder#connectTls}), the real grpc-go client with {@code -tls}, and
 * HAProxy 2.6 with TLS on both sides. The h2c tests of each fix (packages
 * endstream, proxysafereset, earlysettings, connectionstate) say what each scenario means; the "Over TLS" paragraphs
 * of docs/fixes/*.md say what these tests measured.
 */
@Timeout(180)
class TlsTest {
    private static final Transport TLS = Transport.TLS;
    private static final String REJECT_UPLOAD = "/h2patch.Test/RejectUpload";
    private static final long UNARY_GAP_MS = 30;
    private static final String RESET_OPTIONS = "reset-defer-ms=1000";
    private static final int STREAMS = 5;
    private static final long SLOW_MS = 3000;
    private static final long NO_ERROR = 0x0;

    /** The apps with the {@code tls} connector that claim {@code fix}, each without and with the agent. */
    private static Stream<Arguments> claiming(String fix) {
        return Catalog.names(a -> a.hasConnector("tls") && a.runsAsJar() && a.claims(fix))
                .flatMap(app -> Stream.of(Arguments.of(app, false), Arguments.of(app, true)));
    }

    static Stream<Arguments> endStreamApps() {
        return claiming("end-stream");
    }

    static Stream<Arguments> nettyEndStreamApps() {
        return endStreamApps().filter(a -> netty((String) a.get()[0]));
    }

    static Stream<Arguments> proxySafeResetApps() {
        return claiming("proxy-safe-reset");
    }

    static Stream<Arguments> earlySettingsApps() {
        return claiming("early-settings");
    }

    static Stream<Arguments> connectionStateApps() {
        return claiming("connection-state");
    }

    private static ChildJvm start(String app, boolean agent, String options, String... appArgs) throws Exception {
        ChildJvm.Builder builder = ChildJvm.app(app);
        if (agent) {
            builder = Wire.withAgentUnderTest(app, options);
        }
        return TlsKeys.tls(builder).appArg(appArgs).start();
    }

    private static boolean netty(String app) {
        return Catalog.app(app).library().equals("Netty");
    }

    private static void report(String app, boolean agent, String fix, String what) {
        System.err.println("[tls] " + app + (agent ? " with agent" : " without agent") + ", " + fix + ": " + what);
    }

    /** end-stream: the gRPC Trailers-Only error that the apps commit as HEADERS, then an empty DATA(END_STREAM). */
    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("endStreamApps")
    void endStream(String app, boolean agent) throws Exception {
        try (ChildJvm child = start(app, agent, null)) {
            Exchange x = TLS.exchange(child.port(), Request.grpc(Wire.FAIL_PATH));
            report(app, agent, "end-stream", String.join(", ", x.responseShape()));
            if (agent) {
                Wire.assertFixed(x, child);
                assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
            } else {
                Wire.assertUnfixed(x, child);
            }
            // The connection stays usable after the response, with the agent as without.
            Exchange echo = TLS.exchange(child.port(), Request.grpc(Wire.ECHO_PATH, new byte[] {1, 2, 3}));
            assertTrue(echo.ended(), echo.describe() + child.describeOutput());
            assertEquals("0", echo.header("grpc-status"), echo.describe());
        }
    }

    /**
     * end-stream with the real grpc-go client over TLS ({@code -tls}, ALPN h2): the unary call to
     * {@code /h2patch.Test/Fail}. With the agent grpc-go reports the server's NOT_FOUND "no such thing"; without it
     * INTERNAL "server closed the stream without sending trailers" (grpc-go 1.33 reads no status in HEADERS that
     * lack END_STREAM). The dial succeeds either way: grpc-go sends its preface first, which Jetty answers.
     */
    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("endStreamApps")
    void endStreamWithGrpcGo(String app, boolean agent) throws Exception {
        RequiredPeer.require(GrpcGoClient.isBuilt(), "grpc-go client not built (" + GrpcGoClient.binary()
                + "); build it with " + GrpcGoClient.BUILD_HINT);
        try (ChildJvm child = start(app, agent, null)) {
            GrpcGoClient.Result r = GrpcGoClient.run(child.port(), "unary", Duration.ofSeconds(5), true);
            report(app, agent, "end-stream grpc-go unary", r.toString());
            boolean status = r.output().contains("code=NotFound") && r.output().contains("no such thing");
            if (agent) {
                assertTrue(status, "grpc-go over TLS with the agent: " + r + "\n" + child.describeOutput());
            } else {
                assertTrue(r.output().contains("code=Internal")
                        && r.output().contains("server closed the stream without sending trailers"),
                        "grpc-go over TLS without the agent: " + r + "\n" + child.describeOutput());
            }
        }
    }

    /**
     * end-stream with nghttp over TLS ({@code nghttp -v https://...}, ALPN h2): the frames it prints for
     * {@code /h2patch.Test/Fail}, as the interop suite collapses them: {@code HEADERS, DATA[0]+ES} without the agent,
     * {@code HEADERS+ES} with it.
     */
    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("endStreamApps")
    void endStreamWithNghttp(String app, boolean agent) throws Exception {
        RequiredPeer.require(PeerClients.installed("nghttp"), "nghttp is not installed (Debian package nghttp2-client)");
        Path body = Files.createTempFile("h2patch-grpc", ".bin");
        try (ChildJvm child = start(app, agent, null)) {
            Files.write(body, new byte[5]);
            String frames = PeerClients.nghttpTls(child.port(), Wire.FAIL_PATH, body);
            report(app, agent, "end-stream nghttp", frames);
            assertEquals(agent ? "HEADERS+ES" : "HEADERS, DATA[0]+ES", frames, child.describeOutput());
        } finally {
            Files.deleteIfExists(body);
        }
    }

    /**
     * end-stream, the non-gRPC empty end written before the same flush ({@code /empty-same-flush}, Netty only): over
     * h2c the agent folds it into the HEADERS; over TLS it does not, since {@code SslHandler} takes the HEADERS
     * bytes before the empty DATA is written (docs/fixes/end-stream.md). The measured shape is asserted as it is.
     */
    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("nettyEndStreamApps")
    void nonGrpcEmptyEndIsNotFoldedOverTls(String app, boolean agent) throws Exception {
        try (ChildJvm child = start(app, agent, null)) {
            Exchange x = TLS.exchange(child.port(), Request.get("/empty-same-flush"));
            String shape = String.join(", ", Frame.shapes(x.responseFrames()));
            report(app, agent, "end-stream /empty-same-flush", shape);
            List<Frame> fs = x.responseFrames();
            assertTrue(x.ended(), x.describe() + child.describeOutput());
            assertEquals(2, fs.size(), "HEADERS, then DATA(0, END_STREAM), with or without the agent over TLS"
                    + Wire.context(x, child));
            assertTrue(fs.get(0).is(Frame.HEADERS) && !fs.get(0).endStream(), Wire.context(x, child));
            assertTrue(fs.get(1).is(Frame.DATA) && fs.get(1).length() == 0 && fs.get(1).endStream(),
                    Wire.context(x, child));
        }
    }

    /**
     * proxy-safe-reset: {@code /h2patch.Test/RejectUpload} answers at once with a complete gRPC error while the client
     * keeps sending (unary with a 30 ms gap, and a 500 ms client stream); without the agent a RST_STREAM follows the
     * complete response, with it (reset-defer-ms=1000) none does.
     */
    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("proxySafeResetApps")
    void proxySafeReset(String app, boolean agent) throws Exception {
        try (ChildJvm child = start(app, agent, RESET_OPTIONS)) {
            for (Duration streamFor : List.of(Duration.ZERO, Duration.ofMillis(500))) {
                Exchange x = RejectUploadCall.call(TLS, child.port(), REJECT_UPLOAD, streamFor, UNARY_GAP_MS);
                report(app, agent, "proxy-safe-reset " + RejectUploadCall.describe(streamFor),
                        String.join(", ", x.responseShape()));
                RejectUploadCall.assertCompleteResponse(x, child);
                if (agent) {
                    assertEquals(List.of(), RejectUploadCall.resetCodes(x), RejectUploadCall.describe(streamFor)
                            + ": no RST_STREAM may follow the complete response" + Wire.context(x, child));
                } else if (!streamFor.isZero()) {
                    assertEquals(RejectUploadCall.unpatchedResetCode(app), RejectUploadCall.firstResetCode(x),
                            "without the agent the server resets the stream after the complete response"
                                    + Wire.context(x, child));
                }
            }
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    /**
     * proxy-safe-reset through HAProxy 2.6 over TLS on both sides (the client to HAProxy, HAProxy to the app, ALPN h2
     * each): a client that keeps sending for 500 ms after the complete response gets RST_STREAM(CANCEL) after it
     * without the agent (HAProxy forwards any server reset as CANCEL), none with it.
     */
    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("proxySafeResetApps")
    void proxySafeResetThroughHaproxyOverTls(String app, boolean agent) throws Exception {
        RequiredPeer.require(Haproxy.executable() != null, Haproxy.NOT_INSTALLED);
        try (ChildJvm child = start(app, agent, RESET_OPTIONS);
             Haproxy proxy = Haproxy.inFrontOf(child.port(), TlsKeys.pem())) {
            Exchange x = RejectUploadCall.call(TLS, proxy.port(), REJECT_UPLOAD, Duration.ofMillis(500),
                    UNARY_GAP_MS);
            report(app, agent, "proxy-safe-reset through HAProxy (TLS both sides)",
                    String.join(", ", x.responseShape()));
            String ctx = Wire.context(x, child) + "\nhaproxy:\n" + proxy.log();
            RejectUploadCall.assertCompleteResponse(x, child);
            if (agent) {
                assertEquals(List.of(), RejectUploadCall.resetCodes(x), "no RST_STREAM through HAProxy" + ctx);
            } else {
                assertEquals(0x8L, RejectUploadCall.firstResetCode(x), "RST_STREAM(CANCEL) through HAProxy" + ctx);
            }
        }
    }

    /**
     * early-settings: connect, finish the TLS handshake (ALPN h2), send nothing: does the server's SETTINGS come within
     * 1 s? RFC 9113 §3.4 lets the server send it at once; grpc-go waits for it before its first request.
     */
    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("earlySettingsApps")
    void earlySettings(String app, boolean agent) throws Exception {
        try (ChildJvm child = start(app, agent, null)) {
            // A first connection warms the app up (class loading, the first handshake), as the h2c tests do.
            TLS.exchange(child.port(), Request.get("/hello"));
            long best = SettingsTiming.best(() -> SettingsTiming.settingsOnConnect(TLS, child.port(),
                    SettingsTiming.SILENCE));
            report(app, agent, "early-settings", "SETTINGS after the handshake, client silent: "
                    + SettingsTiming.describe(best));
            if (agent || netty(app)) {
                assertTrue(best >= 0, "the server's SETTINGS within " + SettingsTiming.SILENCE.toMillis()
                        + " ms of the handshake, the client silent\n" + child.describeOutput());
            } else {
                assertEquals(-1, best, "measured: Jetty 12 with ALPN waits for the client's preface without the agent"
                        + "\n" + child.describeOutput());
            }
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    /**
     * connection-state: five {@code /slow?ms=3000} streams on one connection, then 1 s later {@code /admin/shutdown}
     * (the application's own shutdown: Netty's {@code shutdownGracefully()}, Jetty's {@code server.stop()}). Without
     * the agent a stream fails or no graceful GOAWAY comes; with it GOAWAY(NO_ERROR) comes first, all five answers
     * follow, then the close.
     */
    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("connectionStateApps")
    void connectionState(String app, boolean agent) throws Exception {
        String[] args = netty(app) ? new String[] {"--user-shutdown"} : new String[0];
        try (ChildJvm child = start(app, agent, null, args);
             FrameRecorder r = TLS.connect(child.port())) {
            List<Integer> ids = startSlowStreams(r, STREAMS, SLOW_MS);
            Thread.sleep(1000);
            long triggered = System.nanoTime();
            trigger(TLS, child, "admin");
            awaitClose(r, triggered + TimeUnit.MILLISECONDS.toNanos(SLOW_MS + 3000));
            int ok = countOk(r, ids);
            Frame goaway = r.frames().stream().filter(f -> f.is(Frame.GOAWAY)).findFirst().orElse(null);
            report(app, agent, "connection-state", ok + "/" + STREAMS + " answered, first GOAWAY "
                    + (goaway == null ? "none" : goaway.describe()) + ", closed=" + r.peerClosed() + "\n"
                    + r.describe());
            if (agent) {
                assertNotNull(goaway, "GOAWAY before the close\n" + r.describe() + child.describeOutput());
                assertEquals(NO_ERROR, goaway.errorCode(), goaway.describe());
                assertEquals(STREAMS, ok, "every in-flight stream completes with 200\n" + r.describe()
                        + child.describeOutput());
                List<Frame> all = r.frames();
                assertTrue(all.indexOf(goaway) < all.indexOf(lastResponseFrame(r, ids)), "GOAWAY before the answers\n"
                        + r.describe());
                assertTrue(r.peerClosed(), "the server closes the connection once the streams are done\n"
                        + r.describe() + child.describeOutput());
                assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
            } else if (netty(app)) {
                assertTrue(ok < STREAMS, "without the agent at least one in-flight stream fails\n" + r.describe()
                        + child.describeOutput());
            } else {
                // Jetty's graceful GOAWAY names stream 2^31-1 (as in JettyConnectionStateTest).
                boolean graceful = goaway != null && goaway.errorCode() == NO_ERROR
                        && lastStreamId(goaway) == Integer.MAX_VALUE;
                assertTrue(ok < STREAMS || !graceful, "without the agent a stream fails or no graceful GOAWAY comes\n"
                        + r.describe() + child.describeOutput());
            }
        }
    }
}
