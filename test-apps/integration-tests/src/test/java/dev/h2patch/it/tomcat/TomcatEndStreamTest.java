package dev.h2patch.it.tomcat;

import static dev.h2patch.it.harness.Wire.ECHO;
import static dev.h2patch.it.harness.Wire.ECHO_PATH;
import static dev.h2patch.it.harness.Wire.FAIL;
import static dev.h2patch.it.harness.Wire.FAIL_PATH;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Exchange;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.GrpcCalls;
import dev.h2patch.it.GrpcGoClient;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.RequiredPeer;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.Wire;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The end-stream fix on Tomcat 9.0, 10.1 and 11.0 (docs/bugs.md#end-stream, docs/fixes/end-stream.md "Tomcat"): a
 * servlet that answers a gRPC error Trailers-Only style ({@code grpc-status} as a response header, no body), with or
 * without {@code flushBuffer()}, makes Tomcat send HEADERS without END_STREAM, then DATA(0, END_STREAM), which gRPC
 * clients fail with INTERNAL; with the agent Tomcat ends the response with trailers repeating the status:
 * HEADERS, DATA(0), HEADERS(grpc-status, END_STREAM), and the clients get the server's status. Run against every
 * Tomcat app of the catalog, in child JVMs.
 */
@Timeout(120)
class TomcatEndStreamTest {
    private static final String APPS = "dev.h2patch.it.tomcat.TomcatEndStreamTest#tomcatApps";

    /** The same error as /h2patch.Test/Fail, committed when the response closes instead of by flushBuffer(). */
    static final String FAIL_NO_FLUSH_PATH = "/h2patch.Test/FailNoFlush";

    /** One app per Tomcat line: 9.0, 10.1, 11.0. */
    static Stream<String> tomcatApps() {
        return TestApps.claiming("Tomcat", "end-stream");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void withoutTheAgentGrpcClientsLoseTheStatus(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).start()) {
            for (String path : List.of(FAIL_PATH, FAIL_NO_FLUSH_PATH)) {
                Exchange x = FrameRecorder.exchange(child.port(), Request.grpc(path));
                Wire.assertUnfixed(x, child);
            }
            GrpcCalls.Outcome outcome = GrpcCalls.unary(child.port(), FAIL);
            assertEquals(Status.Code.INTERNAL, outcome.code(), "grpc-java without the agent: " + outcome
                    + child.describeOutput());
            if (GrpcGoClient.isBuilt()) {
                GrpcGoClient.Result go = GrpcGoClient.run(child.port(), "unary", Duration.ofSeconds(5));
                assertTrue(go.output().contains("code=Internal"), "grpc-go without the agent: " + go);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void withTheAgentTheStatusReachesGrpcClientsInTrailers(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, null).start()) {
            for (String path : List.of(FAIL_PATH, FAIL_NO_FLUSH_PATH)) {
                assertTrailersRepeatTheStatus(FrameRecorder.exchange(child.port(), Request.grpc(path)), child);
            }
            GrpcCalls.Outcome outcome = GrpcCalls.unary(child.port(), FAIL);
            assertEquals(Status.Code.NOT_FOUND, outcome.code(), "grpc-java with the agent: " + outcome
                    + child.describeOutput());
            assertEquals("no such thing", outcome.description(), "grpc-message with the agent");
            RequiredPeer.require(GrpcGoClient.isBuilt(), "grpc-go client not built (" + GrpcGoClient.BUILD_HINT + ")");
            GrpcGoClient.Result go = GrpcGoClient.run(child.port(), "unary", Duration.ofSeconds(5));
            assertTrue(go.output().contains("code=NotFound"), "grpc-go with the agent: " + go);
            assertTrue(child.stderrLines().stream().anyMatch(l -> l.contains("end-stream: active for Tomcat")),
                    "the agent's line for Tomcat" + child.describeOutput());
            Wire.assertCleanStderr(child, Request.grpc(FAIL_PATH));
        }
    }

    /**
     * Several fixed streams, then correct ones, on one connection: every stream ends, none is reset, the connection
     * stays usable.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void fixedStreamsLeaveTheConnectionUsable(String app) throws Exception {
        byte[] message = "ping".getBytes(StandardCharsets.UTF_8);
        try (ChildJvm child = Wire.withAgentUnderTest(app, null).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            List<Integer> fails = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int id = r.request(Request.grpc(i % 2 == 0 ? FAIL_PATH : FAIL_NO_FLUSH_PATH));
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
                Frame last = fs.isEmpty() ? null : fs.get(fs.size() - 1);
                assertTrue(last != null && last.is(Frame.HEADERS) && last.endStream()
                        && "5".equals(last.header("grpc-status")), "stream " + id + " should end with trailers"
                        + " grpc-status 5" + ctx);
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
     * Correct responses are not changed: gRPC Echo (trailers of its own), a plain text response, a non-gRPC response
     * committed empty and completed later (HEADERS + DATA(0, END_STREAM), valid HTTP/2) and a gRPC response with a
     * message after its status headers (not Trailers-Only: the application's to end). The same frames and headers
     * without and with the agent (the date header aside).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void otherResponsesUnchanged(String app) throws Exception {
        byte[] message = "ping".getBytes(StandardCharsets.UTF_8);
        List<Request> requests = List.of(Request.grpc(ECHO_PATH, message), Request.get("/hello"),
                Request.get("/empty-later"), Request.grpc("/h2patch.Test/FailThenWrite"));
        List<Exchange> plain = new ArrayList<>();
        try (ChildJvm child = ChildJvm.app(app).start()) {
            for (Request request : requests) {
                plain.add(FrameRecorder.exchange(child.port(), request));
            }
        }
        List<Frame> echo = plain.get(0).responseFrames();
        assertTrue(echo.size() == 3 && echo.get(2).is(Frame.HEADERS) && echo.get(2).endStream()
                && "0".equals(echo.get(2).header("grpc-status")),
                "Echo should be HEADERS, DATA, trailers(grpc-status 0, END_STREAM):\n" + plain.get(0).describe());
        try (ChildJvm child = Wire.withAgentUnderTest(app, null).start()) {
            GrpcCalls.Outcome outcome = GrpcCalls.unary(child.port(), ECHO, message);
            assertEquals(Status.Code.OK, outcome.code(), "Echo with agent: " + outcome + child.describeOutput());
            assertArrayEquals(message, outcome.response(), "echoed message with agent");
            for (int i = 0; i < requests.size(); i++) {
                Exchange patched = FrameRecorder.exchange(child.port(), requests.get(i));
                assertEquals(shape(plain.get(i)), shape(patched), "the agent changed a correct response to "
                        + requests.get(i) + "\nwithout agent:\n" + plain.get(i).describe() + "with agent:\n"
                        + patched.describe() + child.describeOutput());
                assertArrayEquals(plain.get(i).body(), patched.body(), "body of " + requests.get(i));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void reportModeChangesNothing(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, "mode=report").start()) {
            GrpcCalls.Outcome outcome = GrpcCalls.unary(child.port(), FAIL);
            assertEquals(Status.Code.INTERNAL, outcome.code(), "report mode must not change the response: "
                    + outcome + child.describeOutput());
            Wire.assertUnfixed(FrameRecorder.exchange(child.port(), Request.grpc(FAIL_PATH)), child);
            assertTrue(child.agentErrorLines().isEmpty(), "the agent logged errors in report mode:\n"
                    + ChildJvm.lines(child.agentErrorLines()) + "\n" + child.describeOutput());
        }
    }

    /**
     * The fixed shape on Tomcat: the response HEADERS (grpc-status 5, no END_STREAM) as before, the empty DATA without
     * END_STREAM, then one trailers HEADERS with END_STREAM repeating grpc-status 5 and grpc-message; nothing after it.
     */
    static void assertTrailersRepeatTheStatus(Exchange x, ChildJvm child) {
        List<Frame> fs = x.responseFrames();
        String ctx = "\nframes received:\n" + x.describe() + child.describeOutput();
        assertTrue(x.ended(), "stream " + x.streamId() + " did not end" + ctx);
        assertEquals(3, fs.size(), "expected HEADERS, DATA(0), HEADERS(END_STREAM)" + ctx);
        assertTrue(fs.get(0).is(Frame.HEADERS) && !fs.get(0).endStream()
                && "5".equals(fs.get(0).header("grpc-status")), "first: the response HEADERS, grpc-status 5" + ctx);
        assertTrue(fs.get(1).is(Frame.DATA) && fs.get(1).length() == 0 && !fs.get(1).endStream(),
                "second: DATA len=0 without END_STREAM" + ctx);
        Frame trailers = fs.get(2);
        assertTrue(trailers.is(Frame.HEADERS) && trailers.endStream(), "third: trailers with END_STREAM" + ctx);
        assertEquals("5", trailers.header("grpc-status"), "trailers repeat grpc-status" + ctx);
        assertEquals("no such thing", trailers.header("grpc-message"), "trailers repeat grpc-message" + ctx);
    }

    /** Type, flags and length of each response frame, and the headers of HEADERS frames without Tomcat's date. */
    static List<String> shape(Exchange x) {
        return x.responseFrames().stream().map(f -> {
            if (!f.is(Frame.HEADERS)) {
                return f.summary();
            }
            Map<String, String> headers = new LinkedHashMap<>(f.headerMap());
            headers.remove("date");
            return "HEADERS flags=" + f.flagNames() + " " + headers;
        }).collect(Collectors.toList());
    }
}
