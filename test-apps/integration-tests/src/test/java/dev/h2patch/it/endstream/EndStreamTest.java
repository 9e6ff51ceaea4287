package dev.h2patch.it.endstream;

import static dev.h2patch.it.harness.Wire.FAIL;
import static dev.h2patch.it.harness.Wire.FAIL_PATH;
import static dev.h2patch.it.harness.Wire.context;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Exchange;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.GrpcCalls;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.Wire;
import io.grpc.Status;

import java.time.Duration;
import java.util.stream.Stream;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The end-stream fix (docs/bugs.md#end-stream) on every app that claims it, Netty and Jetty alike: a gRPC Trailers-Only error
 * written as HEADERS without END_STREAM and then an empty DATA(END_STREAM) loses grpc-java its status without the
 * agent; with it the client gets one HEADERS with END_STREAM and the server's status. The library's own scenarios
 * are in EndStreamFixTest (Netty) and JettyEndStreamTest.
 */
@Timeout(120)
class EndStreamTest {

    static Stream<String> apps() {
        return Stream.concat(TestApps.claiming("Netty", "end-stream"), TestApps.claiming("Jetty", "end-stream"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apps")
    void withoutAgent(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).start()) {
            GrpcCalls.Outcome outcome = GrpcCalls.unary(child.port(), FAIL);
            Exchange x = FrameRecorder.exchange(child.port(), Request.grpc(FAIL_PATH));
            assertEquals(Status.Code.INTERNAL, outcome.code(),
                    "grpc-java should not see the status without the agent; got " + outcome + context(x, child));
            Wire.assertUnfixed(x, child);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apps")
    void withAgent(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, null).start()) {
            GrpcCalls.Outcome outcome = GrpcCalls.unary(child.port(), FAIL);
            Exchange x = FrameRecorder.exchange(child.port(), Request.grpc(FAIL_PATH));
            assertEquals(Status.Code.NOT_FOUND, outcome.code(),
                    "grpc-java should get the server's status with the agent; got " + outcome + context(x, child));
            assertEquals("no such thing", outcome.description(), "status description" + context(x, child));
            Wire.assertFixed(x, child);
            if (TestApps.library(app).equals("Jetty")) {
                assertNotNull(child.awaitStderr(l -> l.contains("end-stream: active for Jetty"),
                        Duration.ofSeconds(3)), "the agent should say which Jetty fix it applied\n"
                                + child.describeOutput());
            }
            Wire.assertCleanStderr(child, Request.grpc(FAIL_PATH));
        }
    }
}
