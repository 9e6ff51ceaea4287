package dev.h2patch.it.endstream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.GrpcCalls;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.Wire;
import io.grpc.Status;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 14, end-stream: after the fix folds END_STREAM into a gRPC Trailers-Only HEADERS, the application may still
 * write a message on that stream. Those bytes cannot follow END_STREAM (RFC 9113 §5.1), so the write must fail — with
 * an exception naming h2patch and the stream — instead of succeeding while its bytes vanish (what the agent at
 * 00d729f did: buffer released, promise or callback succeeded).
 *
 * <p>Route {@code /h2patch.Test/FailThenWrite} of every Netty app (plain 4.1, 4.2, grpc-netty-shaded) and every Jetty
 * app (9.4, 10, 11, 12.0, 12.1; one agent module each for 9.4, 10/11, 12): the Trailers-Only HEADERS, flushed, then a
 * 17-byte gRPC message; the app logs {@code late-write: succeeded} or {@code late-write: failed: <exception>} on
 * stderr. The Netty route answers as soon as the request HEADERS arrive and the client keeps its request open while
 * the write happens (with a finished request Netty closes the stream's child channel at the END_STREAM, and the
 * late write fails in Netty itself); the Jetty routes read the whole request first, as gRPC servers do.
 *
 * <p>Set {@value Wire#AGENT_JAR_PROPERTY} to run the children with another agent jar.
 */
@Timeout(120)
class EndStreamLateWriteTest {
    static final String PATH = "/h2patch.Test/FailThenWrite";
    static final String LATE_WRITE = "late-write: ";

    /**
     * The exchange every late-write test makes on {@code r}: preface, the request ({@code keepRequestOpen}: HEADERS
     * only, the request left open, as the Netty route wants it; else a complete request), its answer, then the app's
     * {@code late-write: ...} line (null if none came within 5 s). Returns the stream id and that line.
     */
    static Map.Entry<Integer, String> lateWrite(ChildJvm child, FrameRecorder r, boolean keepRequestOpen)
            throws Exception {
        r.sendPreface();
        r.awaitServerSettings(Duration.ofSeconds(5));
        int id = keepRequestOpen ? r.openStream(Request.grpc(PATH)) : r.request(Request.grpc(PATH));
        r.awaitStreamEnd(id, Duration.ofSeconds(5));
        String outcome = child.awaitStderr(l -> l.startsWith(LATE_WRITE), Duration.ofSeconds(5));
        return new java.util.AbstractMap.SimpleImmutableEntry<>(id, outcome);
    }

    static Stream<String> apps() {
        return Stream.concat(TestApps.claiming("Netty", "end-stream"), TestApps.claiming("Jetty", "end-stream"));
    }

    private static ChildJvm.Builder withAgent(String app) {
        return Wire.withAgentUnderTest(app, null);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apps")
    void withAgentALateWriteFailsInsteadOfVanishing(String app) throws Exception {
        boolean netty = TestApps.library(app).equals("Netty");
        try (ChildJvm child = withAgent(app).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            Map.Entry<Integer, String> lateWrite = lateWrite(child, r, netty);
            int id = lateWrite.getKey();
            String outcome = lateWrite.getValue();
            if (netty) {
                r.sendData(id, new byte[0], true); // the client ends its request
            }
            r.readFor(Duration.ofMillis(300));
            String ctx = "\nframes:\n" + r.describe() + child.describeOutput();
            System.err.println(app + ": " + outcome + "\n" + r.describe()
                    + ChildJvm.lines(child.stderrLines().stream().filter(l -> l.startsWith("late-")
                            || l.contains("h2patch end-stream")).collect(java.util.stream.Collectors.toList())));
            assertNotNull(outcome, "the app logs the outcome of its late write" + ctx);

            List<Frame> frames = r.streamFrames(id);
            Frame first = frames.isEmpty() ? null : frames.get(0);
            assertTrue(first != null && first.is(Frame.HEADERS) && first.endStream()
                    && "5".equals(first.header("grpc-status")),
                    "the client gets the status in one HEADERS with END_STREAM" + ctx);
            assertTrue(frames.stream().noneMatch(f -> f.is(Frame.DATA)), "nothing follows END_STREAM" + ctx);
            // Jetty aborts the stream after the failed write and asks for RST_STREAM(CANCEL) on the stream both sides
            // have ended; no frame but PRIORITY may be sent on a closed stream (RFC 9113 §5.1), so it is dropped.
            // (Netty: the child's reset, with the request still open, is held back by proxy-safe-reset and never sent
            // once the client ends its request.)
            assertTrue(frames.stream().noneMatch(f -> f.is(Frame.RST_STREAM)), "no reset after the complete response"
                    + ctx);

            assertTrue(outcome.startsWith(LATE_WRITE + "failed"),
                    "the late write's bytes never reached the client, so the app must see the write fail, not "
                            + "succeed: " + outcome + ctx);
            assertTrue(outcome.contains("h2patch end-stream: stream " + id + " "),
                    "the failure names h2patch and the stream: " + outcome + ctx);
            assertEquals(0, child.stderrLines().stream().filter(l -> l.startsWith(LATE_WRITE + "succeeded")).count(),
                    "no late write may succeed" + ctx);
            assertTrue(child.stderrLines().stream().anyMatch(l -> l.startsWith("WARN h2patch - h2patch end-stream: "
                            + "stream " + id + " ")),
                    "the agent logs the first failed late write" + ctx);
            assertTrue(child.leakLines().isEmpty(), "no leaked buffer" + ctx);

            // A real gRPC client (its unary request is complete): it gets the application's status, never a
            // success, whatever happens to the late write afterwards.
            GrpcCalls.Outcome call = GrpcCalls.unary(child.port(), PATH.substring(1));
            assertEquals(Status.Code.NOT_FOUND, call.code(), "grpc-java: " + call + child.describeOutput());
            assertEquals("no such thing", call.description(), "grpc-java: " + call);
        }
    }

    static Stream<String> nettyApps() {
        return TestApps.claiming("Netty", "end-stream");
    }

    /**
     * The same late write with {@code fixes=end-stream} alone, on Netty, where the client's request is still open: the
     * write fails the same way, and nothing follows the END_STREAM HEADERS but Netty's own reset of the stream, whose
     * child channel a failed write ({@code IOException}) closes, as after any failed write on a Netty stream:
     * RST_STREAM(CANCEL). Without {@code proxy-safe-reset} nothing holds that reset back (measured 2 to 4 ms after the
     * HEADERS on the three Netty apps); the test above shows it held back with all fixes on.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("nettyApps")
    void withEndStreamAloneALateWriteFailsAndNettyResetsTheStreamAsAfterAnyFailedWrite(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, "fixes=end-stream").start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            Map.Entry<Integer, String> lateWrite = lateWrite(child, r, true);
            int id = lateWrite.getKey();
            String outcome = lateWrite.getValue();
            r.readFor(Duration.ofMillis(300));
            String ctx = "\nframes:\n" + r.describe() + child.describeOutput();
            assertNotNull(outcome, "the app logs the outcome of its late write" + ctx);
            assertTrue(outcome.startsWith(LATE_WRITE + "failed") && outcome.contains("h2patch end-stream: stream " + id),
                    "the late write fails, naming h2patch and the stream: " + outcome + ctx);
            List<Frame> frames = r.streamFrames(id);
            Frame first = frames.isEmpty() ? null : frames.get(0);
            assertTrue(first != null && first.is(Frame.HEADERS) && first.endStream()
                    && "5".equals(first.header("grpc-status")), "the status in one HEADERS with END_STREAM" + ctx);
            assertEquals(List.of("RST_STREAM CANCEL"), frames.subList(1, frames.size()).stream()
                    .map(f -> f.is(Frame.RST_STREAM) ? "RST_STREAM " + (f.errorCode() == 8 ? "CANCEL" : f.errorCode())
                            : f.toString()).collect(java.util.stream.Collectors.toList()),
                    "then only Netty's own reset of the stream whose request is open" + ctx);
            assertTrue(child.leakLines().isEmpty(), "no leaked buffer" + ctx);
        }
    }
}
