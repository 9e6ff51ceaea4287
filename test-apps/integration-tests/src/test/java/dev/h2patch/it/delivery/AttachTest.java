package dev.h2patch.it.delivery;

import static dev.h2patch.it.harness.Wire.FAIL;
import static dev.h2patch.it.harness.Wire.FAIL_PATH;
import static dev.h2patch.it.harness.Wire.context;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Exchange;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.GrpcCalls;
import dev.h2patch.it.Repo;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.Wire;
import io.grpc.Status;
import java.time.Duration;
import java.util.stream.Stream;
import net.bytebuddy.agent.ByteBuddyAgent;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Dynamic attach (agentmain) to an app that is already serving the bug: calls made after the attach are fixed, and a
 * second attach is a no-op.
 */
@Timeout(90)
class AttachTest {

    /** The Netty apps whose end-stream bug the attach must fix (the scenario is end-stream's). */
    static Stream<String> apps() {
        return TestApps.claiming("Netty", "end-stream");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apps")
    void attachingToARunningServerFixesLaterCalls(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).start()) {
            GrpcCalls.Outcome before = GrpcCalls.unary(child.port(), FAIL);
            assertEquals(Status.Code.INTERNAL, before.code(), "the bug before the attach: " + before);

            ByteBuddyAgent.attach(Repo.agentJar().toFile(), Long.toString(child.pid()));
            assertNotNull(child.awaitStderr(line -> line.contains("end-stream: active"), Duration.ofSeconds(10)),
                    "the agent should announce the fix it applied to the loaded Netty\n" + child.describeOutput());

            GrpcCalls.Outcome after = GrpcCalls.unary(child.port(), FAIL);
            Exchange x = FrameRecorder.exchange(child.port(), Request.grpc(FAIL_PATH));
            assertEquals(Status.Code.NOT_FOUND, after.code(), "after the attach: " + after + context(x, child));
            Wire.assertFixed(x, child);

            ByteBuddyAgent.attach(Repo.agentJar().toFile(), Long.toString(child.pid()));
            assertNotNull(child.awaitStderr(line -> line.contains("already active"), Duration.ofSeconds(10)),
                    "a second attach should say it has nothing to do\n" + child.describeOutput());
            assertEquals(Status.Code.NOT_FOUND, GrpcCalls.unary(child.port(), FAIL).code(), "after attaching twice");
            Wire.assertCleanStderr(child, Request.grpc(FAIL_PATH));
        }
    }
}
