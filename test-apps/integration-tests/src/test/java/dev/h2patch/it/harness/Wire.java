package dev.h2patch.it.harness;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Exchange;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.Repo;
import dev.h2patch.it.Request;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Shared assertions and constants of the integration tests. */
public final class Wire {
    public static final String FAIL = "h2patch.Test/Fail";
    public static final String ECHO = "h2patch.Test/Echo";
    public static final String FAIL_PATH = "/" + FAIL;
    public static final String ECHO_PATH = "/" + ECHO;

    /** A system property naming another agent jar than the build's (e.g. a copy, while the tree is being rebuilt). */
    public static final String AGENT_JAR_PROPERTY = "h2patch.it.agentJar";

    private Wire() {}

    /** The agent jar the tests run: {@value #AGENT_JAR_PROPERTY} when set, else the build's. */
    public static Path agentJarUnderTest() {
        String jar = System.getProperty(AGENT_JAR_PROPERTY);
        return jar != null && !jar.isBlank() ? Path.of(jar) : Repo.agentJar();
    }

    /** {@code app} with the agent and {@code options}: the jar {@value #AGENT_JAR_PROPERTY} names, if set. */
    public static ChildJvm.Builder withAgentUnderTest(String app, String options) {
        ChildJvm.Builder builder = ChildJvm.app(app).agent(options);
        String jar = System.getProperty(AGENT_JAR_PROPERTY);
        return jar != null && !jar.isBlank() ? builder.agentJar(Path.of(jar)) : builder;
    }

    /** The bug, as the apps produce it: HEADERS (grpc-status 5) without END_STREAM, then DATA len 0 END_STREAM. */
    public static void assertUnfixed(Exchange x, ChildJvm child) {
        assertUnfixed(x, child.describeOutput());
    }

    public static void assertUnfixed(Exchange x, String moreContext) {
        List<Frame> fs = x.responseFrames();
        String ctx = "\nframes received:\n" + x.describe() + moreContext;
        assertTrue(x.ended(), "stream " + x.streamId() + " did not end" + ctx);
        assertEquals(2, fs.size(), "expected HEADERS(no END_STREAM) + DATA(len 0, END_STREAM) on stream "
                + x.streamId() + ", got " + fs.size() + " response frames" + ctx);
        Frame h = fs.get(0);
        Frame d = fs.get(1);
        assertTrue(h.is(Frame.HEADERS) && !h.endStream(), "first frame should be HEADERS without END_STREAM" + ctx);
        assertEquals("5", h.header("grpc-status"), "HEADERS should carry grpc-status 5" + ctx);
        assertTrue(d.is(Frame.DATA) && d.length() == 0 && d.endStream(),
                "second frame should be DATA len=0 with END_STREAM" + ctx);
    }

    /** The fix: exactly one HEADERS with END_STREAM carrying grpc-status 5, nothing else on the stream after it. */
    public static void assertFixed(Exchange x, ChildJvm child) {
        assertFixed(x, child.describeOutput());
    }

    public static void assertFixed(Exchange x, String moreContext) {
        List<Frame> fs = x.responseFrames();
        String ctx = "\nframes received:\n" + x.describe() + moreContext;
        assertTrue(x.ended(), "stream " + x.streamId() + " did not end" + ctx);
        long headers = fs.stream().filter(f -> f.is(Frame.HEADERS)).count();
        assertEquals(1, headers, "expected exactly one HEADERS on stream " + x.streamId() + ctx);
        Frame h = fs.get(0);
        assertTrue(h.is(Frame.HEADERS) && h.endStream(),
                "the response should be one HEADERS frame with END_STREAM" + ctx);
        assertEquals("5", h.header("grpc-status"), "HEADERS should carry grpc-status 5" + ctx);
        assertEquals(1, fs.size(), "nothing (no DATA, no RST_STREAM) may follow the END_STREAM HEADERS on stream "
                + x.streamId() + " (read " + FrameRecorder.DEFAULT_SETTLE.toMillis() + " ms past it)" + ctx);
    }

    /**
     * Drives some traffic, asks the child to GC (jcmd, best effort), drives a little more, waits ~1 s, then asserts
     * no {@code LEAK:} and no h2patch ERROR line. Limitation: Netty's paranoid detector reports a leak only after the
     * leaked buffer was collected AND a later allocation polled the reference queue, so a leak can still go unseen
     * (no GC happened, or jcmd is missing); a clean result is evidence, not proof.
     */
    public static void assertCleanStderr(ChildJvm child, Request request) throws Exception {
        for (int i = 0; i < 5; i++) {
            FrameRecorder.exchange(child.port(), request, FrameRecorder.DEFAULT_TIMEOUT, Duration.ZERO);
        }
        child.requestGc();
        for (int i = 0; i < 3; i++) {
            FrameRecorder.exchange(child.port(), request, FrameRecorder.DEFAULT_TIMEOUT, Duration.ZERO);
        }
        Thread.sleep(1000);
        if (!child.leakLines().isEmpty()) {
            fail("Netty reported LEAK in the child:\n" + ChildJvm.lines(child.leakLines()) + "\n"
                    + child.describeOutput());
        }
        if (!child.agentErrorLines().isEmpty()) {
            fail("the agent logged errors:\n" + ChildJvm.lines(child.agentErrorLines()) + "\n"
                    + child.describeOutput());
        }
    }

    /** A stderr line of the agent rejecting the option value "nonsense". */
    public static boolean mentionsBadFix(String line) {
        return line.startsWith("h2patch:") && line.contains("nonsense");
    }

    public static String context(Exchange x, ChildJvm child) {
        return "\nframes received:\n" + x.describe() + child.describeOutput();
    }
}
