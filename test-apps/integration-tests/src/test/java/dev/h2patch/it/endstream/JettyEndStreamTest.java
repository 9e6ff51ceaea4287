package dev.h2patch.it.endstream;

import static dev.h2patch.it.harness.Wire.ECHO;
import static dev.h2patch.it.harness.Wire.ECHO_PATH;
import static dev.h2patch.it.harness.Wire.FAIL;
import static dev.h2patch.it.harness.Wire.FAIL_PATH;
import static dev.h2patch.it.harness.Wire.context;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The end-stream fix on Jetty (docs/bugs.md#end-stream): a servlet or handler that commits a gRPC Trailers-Only error with
 * no body ({@code flushBuffer()}, core {@code Response.write(false, null, ...)}) and then completes makes Jetty send
 * HEADERS without END_STREAM and an empty DATA(END_STREAM); with the agent the client must get one HEADERS with
 * END_STREAM. Run against one app per Jetty line, in child JVMs.
 *
 * <p>Set {@value Wire#AGENT_JAR_PROPERTY} to run the children with another agent jar than
 * {@code agent/dist/target/h2patch-agent.jar} (e.g. a copy, while the tree is being rebuilt).
 */
@Timeout(120)
class JettyEndStreamTest {
    private static final String JETTY_APPS = "dev.h2patch.it.endstream.JettyEndStreamTest#jettyApps";

    /** One app per Jetty line: 9.4, 10, 11, 12.0, 12.1. */
    static Stream<String> jettyApps() {
        return TestApps.claiming("Jetty", "end-stream");
    }

    private static ChildJvm.Builder withAgent(String app, String options) {
        return Wire.withAgentUnderTest(app, options);
    }

    /**
     * Several folded streams, then correct ones, on one connection: every stream ends, the folded ones with one
     * HEADERS(END_STREAM) each, and Jetty's per-connection channel recycling (9.4/10/11) is not disturbed by the
     * writes the fix completed without sending.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(JETTY_APPS)
    void foldedStreamsLeaveTheConnectionUsable(String app) throws Exception {
        byte[] message = "ping".getBytes(StandardCharsets.UTF_8);
        try (ChildJvm child = withAgent(app, null).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            List<Integer> fails = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int id = r.request(Request.grpc(FAIL_PATH));
                r.awaitStreamEnd(id, FrameRecorder.DEFAULT_TIMEOUT);
                fails.add(id);
            }
            int echo = r.request(Request.grpc(ECHO_PATH, message));
            r.awaitStreamEnd(echo, FrameRecorder.DEFAULT_TIMEOUT);
            int hello = r.request(Request.get("/hello"));
            r.awaitStreamEnd(hello, FrameRecorder.DEFAULT_TIMEOUT);
            r.readFor(FrameRecorder.DEFAULT_SETTLE);
            String ctx = "\nframes received:\n" + r.describe() + "\n" + child.describeOutput();

            for (int id : fails) {
                List<Frame> fs = FrameRecorder.responseFrames(r.frames(), id);
                assertTrue(fs.size() == 1 && fs.get(0).is(Frame.HEADERS) && fs.get(0).endStream()
                        && "5".equals(fs.get(0).header("grpc-status")),
                        "stream " + id + " should be one HEADERS(END_STREAM, grpc-status 5)" + ctx);
            }
            List<Frame> echoFrames = FrameRecorder.responseFrames(r.frames(), echo);
            Frame last = echoFrames.isEmpty() ? null : echoFrames.get(echoFrames.size() - 1);
            assertTrue(last != null && last.is(Frame.HEADERS) && last.endStream()
                    && "0".equals(last.header("grpc-status")), "Echo should end with trailers grpc-status 0" + ctx);
            assertTrue(r.streamEnded(hello), "/hello should end" + ctx);
            assertTrue(r.frames().stream().noneMatch(f -> f.is(Frame.RST_STREAM) || f.is(Frame.GOAWAY)),
                    "no stream or connection error expected" + ctx);
        }
    }

    /**
     * The agent must not change a correct response by a single byte: gRPC Echo (HEADERS, DATA, trailers), a plain
     * text response, and a non-gRPC response committed empty and completed later (HEADERS, then DATA(0,
     * END_STREAM): valid HTTP/2, deliberately left as Jetty sends it).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(JETTY_APPS)
    void correctResponsesUnchanged(String app) throws Exception {
        byte[] message = "ping".getBytes(StandardCharsets.UTF_8);
        List<Request> requests = List.of(Request.grpc(ECHO_PATH, message), Request.get("/hello"),
                Request.get("/empty-later"));
        List<Exchange> plain = new ArrayList<>();
        GrpcCalls.Outcome plainOutcome;
        try (ChildJvm child = ChildJvm.app(app).start()) {
            plainOutcome = GrpcCalls.unary(child.port(), ECHO, message);
            assertEquals(Status.Code.OK, plainOutcome.code(), "Echo without agent: " + plainOutcome
                    + "\n" + child.describeOutput());
            for (Request request : requests) {
                plain.add(FrameRecorder.exchange(child.port(), request));
            }
        }
        Exchange echo = plain.get(0);
        List<Frame> fs = echo.responseFrames();
        assertTrue(fs.size() == 3 && fs.get(2).is(Frame.HEADERS) && fs.get(2).endStream()
                && "0".equals(fs.get(2).header("grpc-status")),
                "Echo should be HEADERS, DATA, trailers(grpc-status 0, END_STREAM):\n" + echo.describe());
        List<Frame> empty = plain.get(2).responseFrames();
        assertTrue(empty.size() == 2 && empty.get(1).is(Frame.DATA) && empty.get(1).length() == 0
                && empty.get(1).endStream(), "/empty-later should be HEADERS + DATA(0, END_STREAM) without the agent:\n"
                + plain.get(2).describe());

        try (ChildJvm child = withAgent(app, null).start()) {
            GrpcCalls.Outcome outcome = GrpcCalls.unary(child.port(), ECHO, message);
            assertEquals(Status.Code.OK, outcome.code(), "Echo with agent: " + outcome + "\n" + child.describeOutput());
            assertArrayEquals(message, outcome.response(), "echoed message with agent");
            assertArrayEquals(plainOutcome.response(), outcome.response(), "echoed message, without vs with agent");
            for (int i = 0; i < requests.size(); i++) {
                Exchange patched = FrameRecorder.exchange(child.port(), requests.get(i));
                assertSameBytes(plain.get(i), patched, child);
            }
            Wire.assertCleanStderr(child, Request.grpc(ECHO_PATH, message));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(JETTY_APPS)
    void reportMode(String app) throws Exception {
        try (ChildJvm child = withAgent(app, "mode=report").start()) {
            GrpcCalls.Outcome outcome = GrpcCalls.unary(child.port(), FAIL);
            Exchange x = FrameRecorder.exchange(child.port(), Request.grpc(FAIL_PATH));
            assertEquals(Status.Code.INTERNAL, outcome.code(),
                    "report mode must not change the response; grpc-java got " + outcome + context(x, child));
            Wire.assertUnfixed(x, child);
            assertTrue(child.agentErrorLines().isEmpty(), "the agent logged errors in report mode:\n"
                    + ChildJvm.lines(child.agentErrorLines()) + "\n" + child.describeOutput());
        }
    }

    /** Same frames, flags, headers, and the same payload bytes (header blocks and data) on the request's stream. */
    private static void assertSameBytes(Exchange plain, Exchange patched, ChildJvm child) {
        String ctx = "\nthe agent changed a correct response to " + plain.request() + "\nwithout agent:\n"
                + plain.describe() + "with agent:\n" + patched.describe() + child.describeOutput();
        assertEquals(plain.responseShape(), patched.responseShape(), ctx);
        List<Frame> a = plain.responseFrames();
        List<Frame> b = patched.responseFrames();
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).payload(), b.get(i).payload(), "payload of frame " + i + ctx);
        }
    }
}
