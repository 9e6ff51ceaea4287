package dev.h2patch.it.tomcat;

import static dev.h2patch.it.FrameRecorder.Transport.TLS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Exchange;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.GrpcGoClient;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.RequiredPeer;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.TlsKeys;
import dev.h2patch.it.harness.Wire;
import dev.h2patch.it.proxysafereset.RejectUploadCall;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Tomcat fixes over TLS with ALPN h2: the apps' {@code --tls} mode ({@code SSLHostConfig} on JSSE, ALPN through
 * {@code Http2Protocol}), the raw frame recorder over an {@code SSLSocket} offering only h2, and grpc-go with
 * {@code -tls}. The same frames change as over h2c (TomcatEndStreamTest, TomcatProxySafeResetTest,
 * TomcatConnectionStateTest). (The Tomcat apps are not in the catalog's {@code tls} connector: the shared TlsTest
 * expects the fold's single HEADERS(END_STREAM) and 5-byte upload messages, which Tomcat's overhead protection stops.)
 */
@Timeout(180)
class TomcatTlsTest {

    static Stream<Arguments> apps() {
        return TestApps.claiming("Tomcat", "end-stream")
                .flatMap(app -> Stream.of(Arguments.of(app, false), Arguments.of(app, true)));
    }

    private static ChildJvm start(String app, boolean agent, String options) throws Exception {
        ChildJvm.Builder builder = agent ? Wire.withAgentUnderTest(app, options) : ChildJvm.app(app);
        return TlsKeys.tls(builder).start();
    }

    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("apps")
    void endStreamOverTls(String app, boolean agent) throws Exception {
        try (ChildJvm child = start(app, agent, null)) {
            Exchange x = TLS.exchange(child.port(), Request.grpc(Wire.FAIL_PATH));
            System.err.println("[tls] " + app + " agent=" + agent + " end-stream: " + x.responseShape());
            if (agent) {
                TomcatEndStreamTest.assertTrailersRepeatTheStatus(x, child);
            } else {
                Wire.assertUnfixed(x, child);
            }
            RequiredPeer.require(GrpcGoClient.isBuilt(), "grpc-go client not built (" + GrpcGoClient.BUILD_HINT + ")");
            GrpcGoClient.Result go = GrpcGoClient.run(child.port(), "unary", Duration.ofSeconds(5), true);
            assertTrue(go.output().contains(agent ? "code=NotFound" : "code=Internal"), "grpc-go over TLS: " + go);
        }
    }

    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("apps")
    void proxySafeResetOverTls(String app, boolean agent) throws Exception {
        try (ChildJvm child = start(app, agent, "reset-defer-ms=1000")) {
            Exchange x = TomcatProxySafeResetTest.call(TLS, child.port(), Duration.ofMillis(500));
            System.err.println("[tls] " + app + " agent=" + agent + " proxy-safe-reset: " + x.responseShape());
            TomcatProxySafeResetTest.assertCompleteResponse(x, child);
            if (agent) {
                assertEquals(List.of(), RejectUploadCall.resetCodes(x), "no reset over TLS" + Wire.context(x, child));
            } else {
                assertEquals(TomcatProxySafeResetTest.unpatchedCode(child), RejectUploadCall.firstResetCode(x),
                        Wire.context(x, child));
            }
        }
    }

    @ParameterizedTest(name = "{0} agent={1}")
    @MethodSource("apps")
    void clientGoawayOverTls(String app, boolean agent) throws Exception {
        try (ChildJvm child = start(app, agent, null);
             FrameRecorder r = TLS.connect(child.port())) {
            r.sendPreface();
            List<Integer> ids = new ArrayList<>();
            ids.add(r.request(Request.get("/slow?ms=1500")));
            ids.add(r.request(Request.get("/slow?ms=1500")));
            Thread.sleep(300);
            r.sendFrame(0x7, 0, 0, new byte[8]);
            for (int id : ids) {
                r.awaitStreamEnd(id, Duration.ofSeconds(5));
            }
            String ctx = "\nframes received:\n" + r.describe() + "\n" + child.describeOutput();
            for (int id : ids) {
                if (agent) {
                    assertTrue(r.streamEnded(id), "stream " + id + " should finish over TLS" + ctx);
                } else {
                    assertFalse(r.streamEnded(id), "without the agent Tomcat cuts stream " + id + ctx);
                }
            }
        }
    }
}
