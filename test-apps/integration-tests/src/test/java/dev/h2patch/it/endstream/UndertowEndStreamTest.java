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
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The end-stream fix on Undertow 2.2, 2.3 and 2.4 (docs/fixes/end-stream.md, "Undertow"): a native handler that puts
 * a gRPC Trailers-Only error in the response headers, flushes the output stream and returns makes Undertow send
 * HEADERS without END_STREAM, then DATA(0, END_STREAM) when the exchange ends, and grpc-java loses the status
 * ({@code INTERNAL}); with the agent the client gets one HEADERS with END_STREAM and {@code NOT_FOUND "no such thing"}.
 * Run on every Undertow app of the catalog that claims end-stream, in child JVMs.
 *
 * <p>Set {@value Wire#AGENT_JAR_PROPERTY} to run the children with another agent jar.
 */
@Timeout(120)
class UndertowEndStreamTest {
    private static final String APPS = "dev.h2patch.it.endstream.UndertowEndStreamTest#undertowApps";
    private static final String LATE_WRITE = EndStreamLateWriteTest.LATE_WRITE;

    /** One app per Undertow line: 2.2, 2.3, 2.4. */
    static Stream<String> undertowApps() {
        return TestApps.claiming("Undertow", "end-stream");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void withoutAgent(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).start()) {
            GrpcCalls.Outcome outcome = GrpcCalls.unary(child.port(), FAIL);
            Exchange x = FrameRecorder.exchange(child.port(), Request.grpc(FAIL_PATH));
            System.err.println(app + " without the agent:\n" + x.describe());
            assertEquals(Status.Code.INTERNAL, outcome.code(),
                    "grpc-java should not see the status without the agent; got " + outcome + context(x, child));
            Wire.assertUnfixed(x, child);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void withAgent(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, null).start()) {
            GrpcCalls.Outcome outcome = GrpcCalls.unary(child.port(), FAIL);
            Exchange x = FrameRecorder.exchange(child.port(), Request.grpc(FAIL_PATH));
            System.err.println(app + " with the agent:\n" + x.describe());
            assertEquals(Status.Code.NOT_FOUND, outcome.code(),
                    "grpc-java should get the server's status with the agent; got " + outcome + context(x, child));
            assertEquals("no such thing", outcome.description(), "status description" + context(x, child));
            Wire.assertFixed(x, child);
            assertNotNull(child.awaitStderr(l -> l.contains("end-stream: active for Undertow 2.2/2.3/2.4"),
                    Duration.ofSeconds(3)), "the agent should say it applied the Undertow fix\n"
                            + child.describeOutput());
            Wire.assertCleanStderr(child, Request.grpc(FAIL_PATH));
        }
    }

    /**
     * Several folded streams, then correct ones, on one connection: every stream ends, the folded ones with one
     * HEADERS(END_STREAM) each, and the connection stays usable (no reset, no GOAWAY).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void foldedStreamsLeaveTheConnectionUsable(String app) throws Exception {
        byte[] message = "ping".getBytes(StandardCharsets.UTF_8);
        try (ChildJvm child = Wire.withAgentUnderTest(app, null).start();
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
     * text response, and a non-gRPC response flushed empty and completed later (HEADERS, then DATA(0, END_STREAM):
     * valid HTTP/2, deliberately left as Undertow sends it).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
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

        try (ChildJvm child = Wire.withAgentUnderTest(app, null).start()) {
            GrpcCalls.Outcome outcome = GrpcCalls.unary(child.port(), ECHO, message);
            assertEquals(Status.Code.OK, outcome.code(), "Echo with agent: " + outcome + "\n" + child.describeOutput());
            assertArrayEquals(plainOutcome.response(), outcome.response(), "echoed message, without vs with agent");
            for (int i = 0; i < requests.size(); i++) {
                Exchange patched = FrameRecorder.exchange(child.port(), requests.get(i));
                String ctx = "\nthe agent changed a correct response to " + plain.get(i).request()
                        + "\nwithout agent:\n" + plain.get(i).describe() + "with agent:\n" + patched.describe()
                        + child.describeOutput();
                assertEquals(plain.get(i).responseShape(), patched.responseShape(), ctx);
                List<Frame> a = plain.get(i).responseFrames();
                List<Frame> b = patched.responseFrames();
                for (int f = 0; f < a.size(); f++) {
                    assertArrayEquals(a.get(f).payload(), b.get(f).payload(), "payload of frame " + f + ctx);
                }
            }
            Wire.assertCleanStderr(child, Request.grpc(ECHO_PATH, message));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void reportMode(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, "mode=report").start()) {
            GrpcCalls.Outcome outcome = GrpcCalls.unary(child.port(), FAIL);
            Exchange x = FrameRecorder.exchange(child.port(), Request.grpc(FAIL_PATH));
            assertEquals(Status.Code.INTERNAL, outcome.code(),
                    "report mode must not change the response; grpc-java got " + outcome + context(x, child));
            Wire.assertUnfixed(x, child);
            assertTrue(child.agentErrorLines().isEmpty(), "the agent logged errors in report mode:\n"
                    + ChildJvm.lines(child.agentErrorLines()) + "\n" + child.describeOutput());
        }
    }

    /**
     * {@code /h2patch.Test/FailThenWrite}: the Trailers-Only error, flushed, then one more gRPC message. With the fix
     * the stream ended with the HEADERS, so Undertow itself fails the write (its channel is closed): the app sees
     * the failure (a servlet does not: undertow-servlet's flush swallows it), nothing follows END_STREAM on the wire,
     * and no reset.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void withAgentALateWriteFails(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, null).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            java.util.Map.Entry<Integer, String> lateWrite = EndStreamLateWriteTest.lateWrite(child, r, false);
            int id = lateWrite.getKey();
            String outcome = lateWrite.getValue();
            r.readFor(Duration.ofMillis(300));
            String ctx = "\nframes:\n" + r.describe() + child.describeOutput();
            assertNotNull(outcome, "the app logs the outcome of its late write" + ctx);
            List<Frame> frames = r.streamFrames(id);
            Frame first = frames.isEmpty() ? null : frames.get(0);
            assertTrue(first != null && first.is(Frame.HEADERS) && first.endStream()
                    && "5".equals(first.header("grpc-status")),
                    "the client gets the status in one HEADERS with END_STREAM" + ctx);
            assertTrue(frames.stream().noneMatch(f -> f.is(Frame.DATA) || f.is(Frame.RST_STREAM)),
                    "nothing follows END_STREAM" + ctx);
            if (app.contains("-servlet-")) {
                // undertow-servlet's ServletOutputStreamImpl.flush() catches the IOException of a failed write outside
                // async mode (2.2.40 and 2.3.26), as it does for a client that went away: a servlet never sees it.
                assertEquals(LATE_WRITE + "succeeded", outcome, "measured: the servlet's flush hides the failure" + ctx);
            } else {
                assertTrue(outcome.startsWith(LATE_WRITE + "failed"),
                        "the late write's bytes never reached the client, so the app must see it fail: " + outcome
                                + ctx);
            }
            assertTrue(r.frames().stream().noneMatch(f -> f.is(Frame.GOAWAY)), "the connection stays up" + ctx);
        }
    }
}
