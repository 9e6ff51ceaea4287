package dev.h2patch.it.proxysafereset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static dev.h2patch.it.proxysafereset.RejectUploadCall.assertCompleteResponse;
import static dev.h2patch.it.proxysafereset.RejectUploadCall.assertServerStatus;
import static dev.h2patch.it.proxysafereset.RejectUploadCall.clientStream;
import static dev.h2patch.it.proxysafereset.RejectUploadCall.describe;
import static dev.h2patch.it.proxysafereset.RejectUploadCall.firstResetCode;
import static dev.h2patch.it.proxysafereset.RejectUploadCall.node;
import static dev.h2patch.it.proxysafereset.RejectUploadCall.resetCodes;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Exchange;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.Haproxy;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.Cli;
import dev.h2patch.it.harness.RequiredPeer;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.Wire;
import io.grpc.Status;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The proxy-safe-reset fix (docs/bugs.md#proxy-safe-reset) for Jetty 9.4, 10, 11, 12.0 and 12.1, directly and through a real HAProxy 2.6.
 *
 * <p>The app's {@code /h2patch.Test/RejectUpload} answers a client-streaming call with a complete gRPC error (one
 * HEADERS with END_STREAM, grpc-status 7) before reading the request; Jetty then resets the stream while the client is
 * still sending — CANCEL in 9.4, 10, 11 and 12.1.1+, NO_ERROR in 12.0.5 … 12.1.0 — and HAProxy forwards any server
 * reset as CANCEL. Clients: the raw {@link FrameRecorder}, grpc-java, Node's http2 client.
 */
@Timeout(240)
class JettyProxySafeResetTest {
    private static final String PATH = "/h2patch.Test/RejectUpload";
    private static final String METHOD = "h2patch.Test/RejectUpload";
    private static final long UNARY_GAP_MS = 30;
    private static final int BOUND_MS = 1000;
    private static final String AGENT_OPTIONS = "reset-defer-ms=" + BOUND_MS;
    private static final long NO_ERROR = 0x0;
    private static final long CANCEL = 0x8;

    static Stream<String> jettyApps() {
        return TestApps.claiming("Jetty", "proxy-safe-reset");
    }

    /** What the unpatched app sends directly after the complete response (docs/fixes/proxy-safe-reset.md, Jetty). */
    private static long unpatchedCode(String app) {
        return RejectUploadCall.unpatchedResetCode(app);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jettyApps")
    void withoutAgentJettyResetsAfterTheResponseAndHaproxyForwardsCancel(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).start()) {
            Exchange direct = call(child.port(), Duration.ofMillis(500));
            assertCompleteResponse(direct, child);
            assertEquals(unpatchedCode(app), firstResetCode(direct),
                    "without the agent, Jetty resets the stream after the complete response" + Wire.context(direct, child));

            RequiredPeer.require(Haproxy.executable() != null, Haproxy.NOT_INSTALLED);
            try (Haproxy proxy = Haproxy.inFrontOf(child.port())) {
                Exchange x = call(proxy.port(), Duration.ofMillis(500));
                assertCompleteResponse(x, child);
                assertEquals(CANCEL, firstResetCode(x), "client stream through HAProxy: RST_STREAM(CANCEL) after the"
                        + " complete response" + Wire.context(x, child) + "\nhaproxy:\n" + proxy.log());
                RejectUploadCall.NodeResult node = node(proxy.port(), 500);
                if (node != null) {
                    assertTrue(node.json().contains("\"rstCode\":8"), "Node through HAProxy: " + node);
                }
                System.err.println(app + " without agent through HAProxy: unary resets "
                        + resetCodes(call(proxy.port(), Duration.ZERO)) + "; grpc-java client stream "
                        + clientStream(proxy.port(), 500));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jettyApps")
    void withAgentNoResetReachesTheClientWhenItEndsWithinTheBound(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).agent(AGENT_OPTIONS).start()) {
            for (Duration streamFor : List.of(Duration.ZERO, Duration.ofMillis(500))) {
                Exchange x = call(child.port(), streamFor);
                assertCompleteResponse(x, child);
                assertEquals(List.of(), resetCodes(x), "direct, " + describe(streamFor)
                        + ": no RST_STREAM may follow the complete response" + Wire.context(x, child));
            }
            RequiredPeer.require(Haproxy.executable() != null, Haproxy.NOT_INSTALLED);
            try (Haproxy proxy = Haproxy.inFrontOf(child.port())) {
                for (Duration streamFor : List.of(Duration.ZERO, Duration.ofMillis(500))) {
                    Exchange x = call(proxy.port(), streamFor);
                    assertCompleteResponse(x, child);
                    assertEquals(List.of(), resetCodes(x), "through HAProxy, " + describe(streamFor)
                            + ": no RST_STREAM may follow the complete response" + Wire.context(x, child)
                            + "\nhaproxy:\n" + proxy.log());
                }
                assertServerStatus(clientStream(proxy.port(), 500), "grpc-java client stream through HAProxy",
                        child, proxy);
                RejectUploadCall.NodeResult node = node(proxy.port(), 500);
                if (node != null) {
                    assertTrue(node.json().contains("\"rstCode\":0") && node.json().contains("\"grpcStatus\":\"7\""),
                            "Node through HAProxy: " + node + "\nhaproxy:\n" + proxy.log());
                }
                assertTrue(!proxy.log().contains(" SD-- "), "HAProxy saw a server abort:\n" + proxy.log());
            }
            Wire.assertCleanStderr(child, Request.grpc(PATH));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("jettyApps")
    void withAgentAClientThatStreamsPastTheBoundGetsNoError(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).agent(AGENT_OPTIONS + ",reset-defer-bytes=40000").start()) {
            // The time bound.
            Exchange x = call(child.port(), Duration.ofMillis(BOUND_MS * 2L));
            assertCompleteResponse(x, child);
            assertEquals(NO_ERROR, firstResetCode(x), "past the time bound: RST_STREAM(NO_ERROR)"
                    + Wire.context(x, child));
            assertTrue(!resetCodes(x).contains(CANCEL), "never CANCEL" + Wire.context(x, child));
            Frame headers = x.responseFrames().get(0);
            Frame reset = x.responseFrames(Frame.RST_STREAM).get(0);
            long afterMs = TimeUnit.NANOSECONDS.toMillis(reset.nanos() - headers.nanos());
            assertTrue(afterMs >= BOUND_MS - 100 && afterMs < BOUND_MS + 900,
                    "the reset should come at the bound (" + BOUND_MS + " ms), came after " + afterMs + " ms"
                            + Wire.context(x, child));

            // The byte bound: 3 x 16 KiB > 40000 bytes, sent at once, after the reset was held back.
            try (FrameRecorder r = FrameRecorder.connect(child.port())) {
                r.sendPreface();
                int id = r.openStream(Request.grpc(PATH).withBody((byte[]) null));
                // 9.4/10/11 (HttpConfiguration.delayDispatchUntilContent, true by default) call the servlet only
                // when the first DATA arrives: one small message first, or there is no response (and no reset to
                // hold back) until the first 16 KiB, which would then be the request's bytes, not the deferral's.
                r.sendData(id, Request.grpcFrame(new byte[0]), false);
                r.awaitStreamEnd(id, Duration.ofSeconds(5));
                assertTrue(r.streamEnded(id), "the complete response should come before the client ends\n"
                        + r.describe() + child.describeOutput());
                // 9.4/10/11 ask for the reset when the servlet's completion runs, just after the response went
                // out; bytes that arrive before that are the request's (consumed by Jetty), not the deferral's.
                Thread.sleep(200);
                for (int i = 0; i < 3; i++) {
                    r.sendData(id, new byte[16384], false);
                }
                List<Frame> frames = r.readUntil(f -> f.streamId() == id && f.is(Frame.RST_STREAM),
                        Duration.ofMillis(BOUND_MS / 2));
                List<Long> codes = FrameRecorder.responseFrames(frames, id).stream()
                        .filter(f -> f.is(Frame.RST_STREAM)).map(Frame::errorCode).collect(Collectors.toList());
                assertEquals(List.of(NO_ERROR), codes.subList(0, Math.min(1, codes.size())),
                        "past the byte bound: RST_STREAM(NO_ERROR) before the time bound\n"
                                + r.describe() + child.describeOutput());
                // The connection is still usable: the discarded bytes' window came back.
                int next = r.request(Request.get("/hello"));
                r.awaitStreamEnd(next, Duration.ofSeconds(5));
                assertTrue(r.streamEnded(next), "the connection should still serve\n" + r.describe());
            }
            Cli.Result status = Cli.run("status", Long.toString(child.pid()), "--json");
            assertEquals(1, status.counter("proxy-safe-reset", "deferred-timeout"), "one reset sent at the time bound\n"
                    + status + child.describeOutput());
            assertEquals(1, status.counter("proxy-safe-reset", "deferred-bytes"), "one reset sent at the byte bound\n"
                    + status + child.describeOutput());
            Wire.assertCleanStderr(child, Request.grpc(PATH));
        }
    }

    /** Report mode (one line): counts what it would change, and the wire is what the unpatched app sends. */
    @Test
    void reportModeCountsAndChangesNothing() throws Exception {
        String app = TestApps.app("jetty94-server");
        try (ChildJvm child = ChildJvm.app(app).agent("mode=report," + AGENT_OPTIONS).start()) {
            Exchange x = call(child.port(), Duration.ofMillis(500));
            assertCompleteResponse(x, child);
            assertEquals(List.of(CANCEL), resetCodes(x).subList(0, Math.min(1, resetCodes(x).size())),
                    "report mode: Jetty's own RST_STREAM(CANCEL) at once after the complete response"
                            + Wire.context(x, child));
            Frame headers = x.responseFrames().get(0);
            Frame reset = x.responseFrames(Frame.RST_STREAM).get(0);
            assertTrue(TimeUnit.NANOSECONDS.toMillis(reset.nanos() - headers.nanos()) < BOUND_MS / 2,
                    "report mode must not hold the reset back" + Wire.context(x, child));
            Cli.Result status = Cli.run("status", Long.toString(child.pid()), "--json");
            assertTrue(status.out().contains("\"mode\":\"report\""), status.toString());
            assertEquals(1, status.counter("proxy-safe-reset", "would-change"), "counts the reset it would hold back\n"
                    + status + child.describeOutput());
            for (String changed : List.of("deferred", "rewritten", "avoided", "deferred-timeout", "deferred-bytes")) {
                assertEquals(0, status.counter("proxy-safe-reset", changed), "report mode changes nothing: " + changed
                        + "\n" + status);
            }
            assertTrue(child.agentErrorLines().isEmpty(), "the agent logged errors in report mode:\n"
                    + ChildJvm.lines(child.agentErrorLines()) + "\n" + child.describeOutput());
        }
    }

    // ------------------------------------------------------------------------------------------------- helpers

    /** See {@link RejectUploadCall}: HEADERS, messages until the response and {@code streamFor} after it, END_STREAM. */
    private static Exchange call(int port, Duration streamFor) throws IOException, InterruptedException {
        return RejectUploadCall.call(port, PATH, streamFor, UNARY_GAP_MS);
    }
}
