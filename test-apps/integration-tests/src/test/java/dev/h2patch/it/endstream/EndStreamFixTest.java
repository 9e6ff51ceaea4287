package dev.h2patch.it.endstream;

import static dev.h2patch.it.harness.Wire.ECHO;
import static dev.h2patch.it.harness.Wire.ECHO_PATH;
import static dev.h2patch.it.harness.Wire.FAIL;
import static dev.h2patch.it.harness.Wire.FAIL_PATH;
import static dev.h2patch.it.harness.Wire.context;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Exchange;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.GrpcCalls;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.Wire;
import io.grpc.Status;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The end-stream fix (docs/bugs.md#end-stream): a gRPC error sent as HEADERS without END_STREAM followed by an empty DATA with
 * END_STREAM must leave the server as one HEADERS with END_STREAM. Run against each Netty-based app, in child JVMs.
 */
@Timeout(90)
class EndStreamFixTest {
    private static final String NETTY_APPS = "apps";
    private static final List<String> FIX_NAMES =
            List.of("end-stream", "connection-state", "early-settings", "proxy-safe-reset");

    static Stream<String> apps() {
        return TestApps.claiming("Netty", "end-stream");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(NETTY_APPS)
    void correctResponseUnchanged(String app) throws Exception {
        byte[] message = "ping".getBytes(StandardCharsets.UTF_8);
        Exchange plain;
        GrpcCalls.Outcome plainOutcome;
        try (ChildJvm child = ChildJvm.app(app).start()) {
            plainOutcome = GrpcCalls.unary(child.port(), ECHO, message);
            plain = FrameRecorder.exchange(child.port(), Request.grpc(ECHO_PATH, message));
            assertEquals(Status.Code.OK, plainOutcome.code(), "Echo without agent: " + plainOutcome
                    + context(plain, child));
            List<Frame> fs = plain.responseFrames();
            assertTrue(!fs.isEmpty() && fs.get(fs.size() - 1).is(Frame.HEADERS) && fs.get(fs.size() - 1).endStream()
                    && "0".equals(fs.get(fs.size() - 1).header("grpc-status")),
                    "Echo should end with trailers grpc-status 0 + END_STREAM" + context(plain, child));
        }
        try (ChildJvm child = ChildJvm.app(app).agent().start()) {
            GrpcCalls.Outcome outcome = GrpcCalls.unary(child.port(), ECHO, message);
            Exchange patched = FrameRecorder.exchange(child.port(), Request.grpc(ECHO_PATH, message));
            assertEquals(Status.Code.OK, outcome.code(), "Echo with agent: " + outcome + context(patched, child));
            assertArrayEquals(message, outcome.response(), "echoed message with agent");
            assertArrayEquals(plainOutcome.response(), outcome.response(), "echoed message, without vs with agent");
            assertEquals(plain.responseShape(), patched.responseShape(),
                    "the agent changed a correct response.\nwithout agent:\n" + plain.describe()
                            + "with agent:\n" + patched.describe() + child.describeOutput());
            assertArrayEquals(plain.body(), patched.body(), "DATA payloads, without vs with agent");
            Wire.assertCleanStderr(child, Request.grpc(ECHO_PATH, message));
        }
    }

    /** The Netty apps and the Jetty apps (9.4, 10, 11, 12.0, 12.1, and 12 on the module path). */
    static Stream<String> nettyAndJettyApps() {
        return Stream.concat(apps(), TestApps.claiming("Jetty", "end-stream"));
    }

    /**
     * Issue 14: Netty and every Jetty line decide "is this gRPC?" with the one shape check every end-stream advice
     * uses ({@code bootstrap/GrpcShape}: {@code application/grpc} alone or followed by {@code +}, {@code ;} or
     * {@code -}). A lookalike content type ({@code application/grpcx}) is not gRPC: the route's HEADERS + empty DATA,
     * the frames {@code /h2patch.Test/Fail} has folded, keep their two frames. (The agent at 00d729f used its own
     * prefix test on Netty and folded it.)
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("nettyAndJettyApps")
    void grpcLookalikeContentTypeIsNotFolded(String app) throws Exception {
        try (ChildJvm child = agentUnderTest(app).start()) {
            Exchange x = FrameRecorder.exchange(child.port(), Request.get("/grpc-lookalike"));
            List<Frame> fs = x.responseFrames();
            String ctx = context(x, child);
            assertEquals(2, fs.size(), "HEADERS then DATA(0, END_STREAM), as the app wrote them" + ctx);
            assertTrue(fs.get(0).is(Frame.HEADERS) && !fs.get(0).endStream(), "HEADERS without END_STREAM" + ctx);
            assertTrue(fs.get(1).is(Frame.DATA) && fs.get(1).length() == 0 && fs.get(1).endStream(),
                    "then DATA(0, END_STREAM)" + ctx);
        }
    }

    /** The app with the agent ({@value Wire#AGENT_JAR_PROPERTY} may name another agent jar). */
    private static ChildJvm.Builder agentUnderTest(String app) {
        return Wire.withAgentUnderTest(app, null);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(NETTY_APPS)
    void reportMode(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).agent("mode=report").start()) {
            GrpcCalls.Outcome outcome = GrpcCalls.unary(child.port(), FAIL);
            Exchange x = FrameRecorder.exchange(child.port(), Request.grpc(FAIL_PATH));
            assertEquals(Status.Code.INTERNAL, outcome.code(),
                    "report mode must not change the response; grpc-java got " + outcome + context(x, child));
            Wire.assertUnfixed(x, child);
            assertTrue(child.agentErrorLines().isEmpty(), "the agent logged errors in report mode:\n"
                    + ChildJvm.lines(child.agentErrorLines()) + "\n" + child.describeOutput());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(NETTY_APPS)
    void badOptionLeavesAppServing(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).agent("fixes=nonsense").start()) {
            Exchange x = FrameRecorder.exchange(child.port(), Request.get("/hello"));
            assertEquals("200", x.header(":status"), "/hello status" + context(x, child));
            assertEquals("hello\n", x.bodyText(), "/hello body" + context(x, child));

            // The agent prints during premain, before READY, but the stderr pump may lag a little.
            String first = child.awaitStderr(Wire::mentionsBadFix, Duration.ofSeconds(3));
            assertNotNull(first, "expected a stderr line starting with 'h2patch:' that mentions 'nonsense'\n"
                    + child.describeOutput());
            Thread.sleep(200);
            List<String> lines = child.stderrLines().stream().filter(Wire::mentionsBadFix)
                    .collect(Collectors.toList());
            assertEquals(1, lines.size(), "expected exactly one 'h2patch:' line about 'nonsense', got:\n"
                    + ChildJvm.lines(lines) + "\n" + child.describeOutput());
            for (String fix : FIX_NAMES) {
                assertTrue(lines.get(0).contains(fix), "the message should list the valid fix '" + fix + "': "
                        + lines.get(0));
            }
        }
    }

    /**
     * docs/fixes/end-stream.md: any content type, an empty DATA(END_STREAM) written right behind its HEADERS before one
     * flush is folded into the HEADERS ({@code /empty-same-flush}); one written after the HEADERS were flushed cannot
     * be, and goes out as the application wrote it ({@code /empty-later}).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(NETTY_APPS)
    void nonGrpcEmptyEndIsFoldedOnlyWhenWrittenBeforeTheSameFlush(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).start()) {
            assertEquals("HEADERS, DATA(0, END_STREAM)", shape(FrameRecorder.exchange(child.port(),
                    Request.get("/empty-same-flush"))), "without the agent" + child.describeOutput());
        }
        try (ChildJvm child = ChildJvm.app(app).agent().start()) {
            Exchange sameFlush = FrameRecorder.exchange(child.port(), Request.get("/empty-same-flush"));
            assertEquals("HEADERS(END_STREAM)", shape(sameFlush), "folded with the agent" + context(sameFlush, child));
            assertEquals("200", sameFlush.header(":status"), context(sameFlush, child));
            Exchange later = FrameRecorder.exchange(child.port(), Request.get("/empty-later"));
            assertEquals("HEADERS, DATA(0, END_STREAM)", shape(later), "flushed apart: kept" + context(later, child));
            Wire.assertCleanStderr(child, Request.get("/empty-same-flush"));
        }
    }

    private static String shape(Exchange x) {
        assertTrue(x.ended(), "stream " + x.streamId() + " did not end\n" + x.describe());
        return x.responseFrames().stream().map(f -> f.is(Frame.HEADERS) ? "HEADERS" + (f.endStream() ? "(END_STREAM)" : "")
                : f.is(Frame.DATA) ? "DATA(" + f.length() + (f.endStream() ? ", END_STREAM)" : ")") : f.describe())
                .collect(Collectors.joining(", "));
    }
}
