package dev.h2patch.it.tomcat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.Cli;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.Wire;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The connection-state fix on Tomcat 9.0, 10.1 and 11.0, the client's GOAWAY (docs/fixes/connection-state.md,
 * "Tomcat"): a client opens two streams of 1.5 s ({@code /slow?ms=1500}) and sends GOAWAY(NO_ERROR, last stream 0)
 * 300 ms later, as a client done with the connection does (and as Node's http2 client answers a server's GOAWAY).
 * Tomcat closes the connection at once, with no frame: 0 of 2 streams complete. With the agent both complete.
 */
@Timeout(120)
class TomcatConnectionStateTest {
    private static final String APPS = "dev.h2patch.it.tomcat.TomcatConnectionStateTest#tomcatApps";
    private static final int GOAWAY = 0x7;

    static Stream<String> tomcatApps() {
        return TestApps.claiming("Tomcat", "connection-state");
    }

    /** The two streams' ids and the recorder, after the GOAWAY and up to 5 s of reading. */
    private static FrameRecorder twoSlowStreamsThenGoaway(int port, List<Integer> ids) throws Exception {
        FrameRecorder r = FrameRecorder.connect(port);
        r.sendPreface();
        ids.add(r.request(Request.get("/slow?ms=1500")));
        ids.add(r.request(Request.get("/slow?ms=1500")));
        Thread.sleep(300);
        r.sendFrame(GOAWAY, 0, 0, new byte[8]); // last stream 0, NO_ERROR
        for (int id : ids) {
            r.awaitStreamEnd(id, Duration.ofSeconds(5));
        }
        r.readFor(Duration.ofMillis(300));
        return r;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void withoutAgentTomcatClosesAtTheClientsGoaway(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).start()) {
            List<Integer> ids = new java.util.ArrayList<>();
            try (FrameRecorder r = twoSlowStreamsThenGoaway(child.port(), ids)) {
                String ctx = "\nframes received:\n" + r.describe() + "\n" + child.describeOutput();
                for (int id : ids) {
                    assertFalse(r.streamEnded(id), "without the agent stream " + id + " should be cut" + ctx);
                }
                assertTrue(r.peerClosed(), "without the agent Tomcat closes the connection" + ctx);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void withAgentTheStreamsInFlightFinishAfterTheClientsGoaway(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, null).start()) {
            List<Integer> ids = new java.util.ArrayList<>();
            try (FrameRecorder r = twoSlowStreamsThenGoaway(child.port(), ids)) {
                String ctx = "\nframes received:\n" + r.describe() + "\n" + child.describeOutput();
                for (int id : ids) {
                    assertTrue(r.streamEnded(id), "stream " + id + " should finish" + ctx);
                    List<Frame> fs = FrameRecorder.responseFrames(r.frames(), id);
                    assertEquals("200", fs.get(0).header(":status"), ctx);
                    String body = fs.stream().filter(f -> f.is(Frame.DATA)).map(f -> new String(f.payload(),
                            StandardCharsets.UTF_8)).collect(Collectors.joining());
                    assertEquals("slow\n", body, ctx);
                }
                assertTrue(r.frames().stream().noneMatch(f -> f.is(Frame.RST_STREAM)), "no reset" + ctx);
            }
            Cli.Result status = Cli.run("status", Long.toString(child.pid()), "--json");
            assertEquals(2, status.counter("connection-state", "streams-saved-shutdown"), status + child.describeOutput());
            Wire.assertCleanStderr(child, Request.get("/hello"));
        }
    }

    /** A GOAWAY with an error code, or with nothing in flight, closes the connection as Tomcat does. */
    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void withAgentAnErrorGoawayStillCloses(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, null).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            int id = r.request(Request.get("/slow?ms=1500"));
            Thread.sleep(300);
            byte[] payload = new byte[8];
            payload[7] = 0x2; // INTERNAL_ERROR
            r.sendFrame(GOAWAY, 0, 0, payload);
            r.awaitStreamEnd(id, Duration.ofSeconds(3));
            String ctx = "\nframes received:\n" + r.describe() + "\n" + child.describeOutput();
            assertFalse(r.streamEnded(id), "an error GOAWAY closes at once" + ctx);
            assertTrue(r.peerClosed(), ctx);
        }
    }
}
