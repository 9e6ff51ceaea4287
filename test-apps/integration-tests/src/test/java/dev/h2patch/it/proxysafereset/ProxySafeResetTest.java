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
import dev.h2patch.it.GrpcCalls;
import dev.h2patch.it.Haproxy;
import dev.h2patch.it.Request;
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

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The proxy-safe-reset fix (docs/bugs.md#proxy-safe-reset), against each Netty-based app, directly and through a real HAProxy 2.6.
 *
 * <p>The app's {@code /h2patch.Test/RejectUpload} answers a client-streaming call with a complete gRPC error
 * (Trailers-Only HEADERS with END_STREAM, grpc-status 7) as soon as it sees the request HEADERS, then closes the
 * stream's child channel; Netty then resets the stream with CANCEL while the client is still sending, and HAProxy
 * forwards any server reset as CANCEL. Clients: the raw {@link FrameRecorder} (exact frames and RST_STREAM codes), a
 * real grpc-java client (the status it reports) and Node's http2 client ({@code stream.rstCode}).
 *
 * <p>"Unary" here is a client that sends its one message (with END_STREAM) {@value #UNARY_GAP_MS} ms after its
 * HEADERS, as clients whose message leaves in a separate write do; "streaming" keeps sending a message every 50 ms.
 */
@Timeout(180)
class ProxySafeResetTest {

    static Stream<String> apps() {
        return TestApps.claiming("Netty", "proxy-safe-reset");
    }
    private static final String PATH = "/h2patch.Test/RejectUpload";
    private static final String METHOD = "h2patch.Test/RejectUpload";
    private static final long UNARY_GAP_MS = 30;
    /** The time bound the agent gets in these tests; the default (2000 ms) works the same, only slower. */
    private static final int BOUND_MS = 1000;
    private static final String AGENT_OPTIONS = "reset-defer-ms=" + BOUND_MS;
    private static final long CANCEL = 0x8;

    @ParameterizedTest(name = "{0}")
    @MethodSource("apps")
    void withoutAgentTheResetAfterTheResponseIsCancelAndHaproxyForwardsIt(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).start()) {
            Exchange direct = call(child.port(), Duration.ofMillis(500));
            assertCompleteResponse(direct, child);
            assertEquals(CANCEL, firstResetCode(direct),
                    "without the agent, Netty resets the stream with CANCEL after the complete response"
                            + Wire.context(direct, child));

            RequiredPeer.require(Haproxy.executable() != null, Haproxy.NOT_INSTALLED);
            try (Haproxy proxy = Haproxy.inFrontOf(child.port())) {
                for (Duration streamFor : List.of(Duration.ZERO, Duration.ofMillis(500))) {
                    Exchange x = call(proxy.port(), streamFor);
                    assertCompleteResponse(x, child);
                    assertEquals(CANCEL, firstResetCode(x), (streamFor.isZero() ? "unary" : "streaming")
                            + " call through HAProxy: the client gets RST_STREAM(CANCEL) after the complete response"
                            + Wire.context(x, child) + "\nhaproxy:\n" + proxy.log());
                }
                RejectUploadCall.NodeResult node = node(proxy.port(), 500);
                if (node != null) {
                    assertTrue(node.json().contains("\"rstCode\":8"), "Node through HAProxy: " + node);
                }
                System.err.println(app + " without agent, grpc-java through HAProxy: unary "
                        + GrpcCalls.unary("127.0.0.1", proxy.port(), METHOD, new byte[0], Duration.ofSeconds(5))
                        + "; client stream " + clientStream(proxy.port(), 500) + "\nhaproxy:\n" + proxy.log());
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apps")
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
                GrpcCalls.Outcome unary =
                        GrpcCalls.unary("127.0.0.1", proxy.port(), METHOD, new byte[0], Duration.ofSeconds(5));
                assertServerStatus(unary, "grpc-java unary through HAProxy", child, proxy);
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
    @MethodSource("apps")
    void withAgentAClientThatStreamsPastTheBoundGetsNoError(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).agent(AGENT_OPTIONS + ",reset-defer-bytes=40000").start()) {
            // The time bound.
            Exchange x = call(child.port(), Duration.ofMillis(BOUND_MS * 2L));
            assertCompleteResponse(x, child);
            // DATA the client had in flight when the reset came may draw STREAM_CLOSED resets after it.
            assertEquals(0L, firstResetCode(x), "past the time bound: RST_STREAM(NO_ERROR)" + Wire.context(x, child));
            assertTrue(!resetCodes(x).contains(CANCEL), "never CANCEL" + Wire.context(x, child));
            Frame headers = x.responseFrames().get(0);
            Frame reset = x.responseFrames(Frame.RST_STREAM).get(0);
            long afterMs = TimeUnit.NANOSECONDS.toMillis(reset.nanos() - headers.nanos());
            assertTrue(afterMs >= BOUND_MS - 100 && afterMs < BOUND_MS + 900,
                    "the reset should come at the bound (" + BOUND_MS + " ms), came after " + afterMs + " ms"
                            + Wire.context(x, child));

            // The byte bound: 3 x 16 KiB > 40000 bytes, sent at once.
            try (FrameRecorder r = FrameRecorder.connect(child.port())) {
                r.sendPreface();
                int id = r.openStream(Request.grpc(PATH));
                r.awaitStreamEnd(id, Duration.ofSeconds(5));
                for (int i = 0; i < 3; i++) {
                    r.sendData(id, new byte[16384], false);
                }
                List<Frame> frames = r.readUntil(f -> f.streamId() == id && f.is(Frame.RST_STREAM),
                        Duration.ofMillis(BOUND_MS / 2));
                List<Long> codes = FrameRecorder.responseFrames(frames, id).stream()
                        .filter(f -> f.is(Frame.RST_STREAM)).map(Frame::errorCode).collect(Collectors.toList());
                assertEquals(List.of(0L), codes.subList(0, Math.min(1, codes.size())), "past the byte bound: RST_STREAM(NO_ERROR) before the time bound\n"
                        + r.describe() + child.describeOutput());
                // The connection is still usable: its window came back.
                int next = r.request(Request.get("/hello"));
                r.awaitStreamEnd(next, Duration.ofSeconds(5));
                assertTrue(r.streamEnded(next), "the connection should still serve\n" + r.describe());
            }
            Wire.assertCleanStderr(child, Request.grpc(PATH));
        }
    }

    // ------------------------------------------------------------------------------------------------- helpers

    /**
     * One RejectUpload call with the raw recorder (see {@link RejectUploadCall}): HEADERS, then 5-byte messages every
     * 50 ms until the complete response and for {@code streamFor} after it,
     * then one with END_STREAM ({@code streamFor} zero: one message with END_STREAM {@value #UNARY_GAP_MS} ms after
     * the HEADERS); then reads 500 ms more to catch a late reset.
     */
    private static Exchange call(int port, Duration streamFor) throws IOException, InterruptedException {
        return RejectUploadCall.call(port, PATH, streamFor, UNARY_GAP_MS);
    }
}
