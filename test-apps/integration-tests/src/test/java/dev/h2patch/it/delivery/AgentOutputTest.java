package dev.h2patch.it.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.Wire;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Where the agent's words go: its failures are caught by {@link ChildJvm#agentErrorLines()} (which every app test
 * uses to say "the agent did not complain"), and nothing it says reaches the application's stdout.
 */
@Timeout(120)
class AgentOutputTest {

    private static final String APP = TestApps.NETTY;

    /** The check the other tests rely on must see the agent's real failure lines, or it proves nothing. */
    @Test
    void agentErrorLinesCatchEveryFormOfFailureTheAgentPrints() throws Exception {
        try (ChildJvm clean = ChildJvm.app(APP).agent().start()) {
            Wire.assertFixed(FrameRecorder.exchange(clean.port(), Request.grpc(Wire.FAIL_PATH)), clean.describeOutput());
            assertEquals(List.of(), clean.agentErrorLines(), "a clean run has none\n" + clean.describeOutput());
        }
        // A refusal to start: the plain "h2patch: ..." line printed before the logger exists.
        try (ChildJvm refused = ChildJvm.app(APP).agent("fixes=nonsense").start()) {
            List<String> lines = refused.agentErrorLines();
            assertTrue(lines.stream().anyMatch(l -> l.startsWith("h2patch: invalid option: unknown fix 'nonsense'")),
                    "caught: " + lines + "\n" + refused.describeOutput());
        }
        // A warning from the agent's logger.
        try (ChildJvm warned = ChildJvm.app(APP).agent().env("H2PATCH_NONSENSE", "1").start()) {
            String line = warned.awaitStderr(l -> l.contains("H2PATCH_NONSENSE"), Duration.ofSeconds(5));
            assertTrue(line != null && line.startsWith("WARN h2patch - "), "the warning as printed: " + line);
            assertTrue(warned.agentErrorLines().contains(line), "caught: " + warned.agentErrorLines());
        }
    }

    /** README: "It never writes to the application's stdout." Checked at the most talkative level, with a fix at work. */
    @Test
    void theAgentNeverWritesToTheApplicationsStdout() throws Exception {
        List<String> without;
        try (ChildJvm child = ChildJvm.app(APP).start()) {
            Wire.assertUnfixed(FrameRecorder.exchange(child.port(), Request.grpc(Wire.FAIL_PATH)), child);
            without = child.stdoutLines();
        }
        try (ChildJvm child = ChildJvm.app(APP).agent("log=debug").start()) {
            Wire.assertFixed(FrameRecorder.exchange(child.port(), Request.grpc(Wire.FAIL_PATH)), child.describeOutput());
            assertTrue(child.stderrLines().stream().anyMatch(l -> l.startsWith("DEBUG h2patch - transformed ")),
                    "the agent did speak, on stderr\n" + child.describeOutput());
            List<String> with = child.stdoutLines();
            assertFalse(with.stream().anyMatch(l -> l.contains("h2patch")), "stdout: " + with);
            assertEquals(without.size(), with.size(), "the same stdout lines with and without the agent: " + without
                    + " vs " + with);
        }
    }
}
