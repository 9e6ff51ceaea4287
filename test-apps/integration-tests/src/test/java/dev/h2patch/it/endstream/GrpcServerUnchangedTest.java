package dev.h2patch.it.endstream;

import static dev.h2patch.it.harness.Wire.FAIL;
import static dev.h2patch.it.harness.Wire.FAIL_PATH;
import static dev.h2patch.it.harness.Wire.context;
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

import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * grpc-server is a correct grpc-java server: its Trailers-Only error response (one HEADERS with END_STREAM) must go
 * out byte-for-byte the same shape with the agent.
 */
@Timeout(90)
class GrpcServerUnchangedTest {
    private static final String APP = TestApps.app("grpc-server");

    @Test
    void failFramesUnchanged() throws Exception {
        Exchange plain;
        try (ChildJvm child = ChildJvm.app(APP).start()) {
            GrpcCalls.Outcome outcome = GrpcCalls.unary(child.port(), FAIL);
            plain = FrameRecorder.exchange(child.port(), Request.grpc(FAIL_PATH));
            assertNotFound(outcome, plain, child);
            List<Frame> fs = plain.responseFrames();
            assertTrue(fs.size() == 1 && fs.get(0).is(Frame.HEADERS) && fs.get(0).endStream()
                    && "5".equals(fs.get(0).header("grpc-status")),
                    "grpc-server should answer Fail with one Trailers-Only HEADERS (END_STREAM, grpc-status 5)"
                            + context(plain, child));
        }
        try (ChildJvm child = ChildJvm.app(APP).agent().start()) {
            GrpcCalls.Outcome outcome = GrpcCalls.unary(child.port(), FAIL);
            Exchange patched = FrameRecorder.exchange(child.port(), Request.grpc(FAIL_PATH));
            assertNotFound(outcome, patched, child);
            assertEquals(plain.responseShape(), patched.responseShape(),
                    "the agent changed grpc-server's correct response.\nwithout agent:\n" + plain.describe()
                            + "with agent:\n" + patched.describe() + child.describeOutput());
            Wire.assertCleanStderr(child, Request.grpc(FAIL_PATH));
        }
    }

    private static void assertNotFound(GrpcCalls.Outcome outcome, Exchange x, ChildJvm child) {
        assertEquals(Status.Code.NOT_FOUND, outcome.code(), "grpc-java status: " + outcome + context(x, child));
        assertEquals("no such thing", outcome.description(), "status description" + context(x, child));
    }
}
