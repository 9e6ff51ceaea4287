package dev.h2patch.it.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.Catalog;
import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Exchange;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder.Transport;
import dev.h2patch.it.GrpcGoClient;
import dev.h2patch.it.Request;
import dev.h2patch.it.earlysettings.SettingsTiming;
import dev.h2patch.it.harness.RequiredPeer;
import dev.h2patch.it.TlsKeys;
import dev.h2patch.it.harness.Wire;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@code tls} apps that claim no fix (grpc-server: grpc-java's own {@code NettyServer} with
 * {@code GrpcSslContexts}): over TLS with ALPN h2, as over h2c ({@code GrpcServerUnchangedTest}), the agent must change
 * nothing. Each scenario runs without the agent, then with it, and asserts the same frames both ways: the gRPC error
 * is one Trailers-Only HEADERS with END_STREAM, Echo answers HEADERS, DATA, trailers, the server's SETTINGS comes
 * right after the handshake, grpc-go reads NOT_FOUND; and the agent logs no error.
 */
@Timeout(120)
class TlsUnchangedTest {
    private static final Transport TLS = Transport.TLS;

    static Stream<String> unclaimedTlsApps() {
        // The gRPC servers among them (the scenarios are gRPC calls).
        return Catalog.names(a -> a.library().equals("grpc-java") && a.hasConnector("tls") && a.runsAsJar()
                && a.fixes().isEmpty());
    }

    private static ChildJvm start(String app, boolean agent) throws Exception {
        ChildJvm.Builder builder = agent ? Wire.withAgentUnderTest(app, null) : ChildJvm.app(app);
        return TlsKeys.tls(builder).start();
    }

    private static void report(String app, boolean agent, String what) {
        System.err.println("[tls] " + app + (agent ? " with agent" : " without agent") + ", unchanged: " + what);
    }

    /** The gRPC error and Echo: one Trailers-Only HEADERS(END_STREAM) and HEADERS, DATA, HEADERS(END_STREAM). */
    @ParameterizedTest(name = "{0}")
    @MethodSource("unclaimedTlsApps")
    void grpcFramesUnchanged(String app) throws Exception {
        List<String> failShape = null;
        List<String> echoShape = null;
        for (boolean agent : new boolean[] {false, true}) {
            try (ChildJvm child = start(app, agent)) {
                Exchange fail = TLS.exchange(child.port(), Request.grpc(Wire.FAIL_PATH));
                Exchange echo = TLS.exchange(child.port(), Request.grpc(Wire.ECHO_PATH, new byte[] {1, 2, 3}));
                report(app, agent, "Fail " + fail.responseShape() + ", Echo " + echo.responseShape());
                List<Frame> fs = fail.responseFrames();
                assertTrue(fs.size() == 1 && fs.get(0).is(Frame.HEADERS) && fs.get(0).endStream()
                        && "5".equals(fs.get(0).header("grpc-status")),
                        "one Trailers-Only HEADERS(END_STREAM, grpc-status 5)" + Wire.context(fail, child));
                assertTrue(echo.ended(), echo.describe() + child.describeOutput());
                assertEquals("0", echo.header("grpc-status"), echo.describe());
                if (agent) {
                    assertEquals(failShape, fail.responseShape(), "the agent changed Fail" + Wire.context(fail, child));
                    assertEquals(echoShape, echo.responseShape(), "the agent changed Echo" + Wire.context(echo, child));
                    assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
                } else {
                    failShape = fail.responseShape();
                    echoShape = echo.responseShape();
                }
            }
        }
    }

    /** The server's SETTINGS within 1 s of the handshake, the client silent, with the agent as without. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("unclaimedTlsApps")
    void settingsAtOnceUnchanged(String app) throws Exception {
        for (boolean agent : new boolean[] {false, true}) {
            try (ChildJvm child = start(app, agent)) {
                TLS.exchange(child.port(), Request.grpc(Wire.ECHO_PATH, new byte[] {1}));
                long best = SettingsTiming.best(() -> SettingsTiming.settingsOnConnect(TLS, child.port(),
                        SettingsTiming.SILENCE));
                report(app, agent, "SETTINGS after the handshake, client silent: " + SettingsTiming.describe(best));
                assertTrue(best >= 0, "the server's SETTINGS within " + SettingsTiming.SILENCE.toMillis()
                        + " ms of the handshake\n" + child.describeOutput());
                assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
            }
        }
    }

    /** grpc-go over TLS ({@code -tls}) reads the server's NOT_FOUND "no such thing", with the agent as without. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("unclaimedTlsApps")
    void grpcGoReadsTheStatusUnchanged(String app) throws Exception {
        RequiredPeer.require(GrpcGoClient.isBuilt(), "grpc-go client not built (" + GrpcGoClient.binary()
                + "); build it with " + GrpcGoClient.BUILD_HINT);
        for (boolean agent : new boolean[] {false, true}) {
            try (ChildJvm child = start(app, agent)) {
                GrpcGoClient.Result r = GrpcGoClient.run(child.port(), "unary", Duration.ofSeconds(5), true);
                report(app, agent, "grpc-go unary " + r);
                assertTrue(r.output().contains("code=NotFound") && r.output().contains("no such thing"),
                        "grpc-go over TLS: " + r + "\n" + child.describeOutput());
            }
        }
    }
}
