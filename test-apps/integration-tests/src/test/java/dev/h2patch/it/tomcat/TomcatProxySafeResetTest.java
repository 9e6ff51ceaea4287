package dev.h2patch.it.tomcat;

import static dev.h2patch.it.proxysafereset.RejectUploadCall.describe;
import static dev.h2patch.it.proxysafereset.RejectUploadCall.firstResetCode;
import static dev.h2patch.it.proxysafereset.RejectUploadCall.resetCodes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Exchange;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.GrpcCalls;
import dev.h2patch.it.Haproxy;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.Cli;
import dev.h2patch.it.harness.RequiredPeer;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.Wire;
import dev.h2patch.it.proxysafereset.RejectUploadCall;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The proxy-safe-reset fix on Tomcat 9.0, 10.1 and 11.0 (docs/bugs.md#proxy-safe-reset, docs/fixes/proxy-safe-reset.md
 * "Tomcat"), directly and through a real HAProxy 2.6. The app's {@code /h2patch.Test/RejectUpload} completes a gRPC
 * error before reading the request; Tomcat then resets the stream at once while the client is still sending
 * (NO_ERROR from 9.0.71 / 10.1.5, CANCEL before: the catalog's variant 9.0.70). With the agent no reset follows the
 * complete response while the client ends within the bounds; past them, RST_STREAM(NO_ERROR).
 */
@Timeout(240)
class TomcatProxySafeResetTest {
    private static final String APPS = "dev.h2patch.it.tomcat.TomcatProxySafeResetTest#tomcatApps";
    private static final String PATH = "/h2patch.Test/RejectUpload";
    private static final long UNARY_GAP_MS = 30;
    private static final int BOUND_MS = 1000;
    private static final String AGENT_OPTIONS = "reset-defer-ms=" + BOUND_MS;
    private static final long NO_ERROR = 0x0;
    private static final long CANCEL = 0x8;

    static Stream<String> tomcatApps() {
        return TestApps.claiming("Tomcat", "proxy-safe-reset");
    }

    /**
     * Tomcat's overhead protection (Http2Protocol overheadDataThreshold, 1024 bytes by default) closes a connection
     * whose client sends many small non-final DATA frames, so the clients here send messages of 1100 bytes every
     * 100 ms (RejectUploadCall's 5-byte messages every 50 ms get the connection closed by Tomcat, with or without the
     * agent). At most {@value #MESSAGE} bytes x 10 per second: within Tomcat's 64 KiB stream window for a few seconds.
     */
    private static final int MESSAGE = 1100;
    private static final long SEND_INTERVAL_MS = 100;

    /**
     * Opens the stream; with {@code streamFor} zero sends one message with END_STREAM after {@value #UNARY_GAP_MS} ms;
     * else sends a message every 100 ms until the response has ended (END_STREAM) and for {@code streamFor} more, or
     * until the stream is reset, then one with END_STREAM. Returns what the server sent.
     */
    static Exchange call(int port, Duration streamFor) throws Exception {
        return call(FrameRecorder.Transport.H2C, port, streamFor);
    }

    /** {@link #call(int, Duration)} over {@code transport} (h2c or TLS). */
    static Exchange call(FrameRecorder.Transport transport, int port, Duration streamFor) throws Exception {
        Request request = Request.grpc(PATH);
        byte[] message = Request.grpcFrame(new byte[MESSAGE - 5]);
        try (FrameRecorder r = transport.connect(port)) {
            r.sendPreface();
            int id = r.openStream(request.withBody((byte[]) null));
            if (streamFor.isZero()) {
                Thread.sleep(UNARY_GAP_MS);
            } else {
                long answered = System.nanoTime() + RejectUploadCall.RESPONSE_TIMEOUT.toNanos();
                while (System.nanoTime() < answered && !responseEnded(r, id) && !RejectUploadCall.hasReset(r, id)) {
                    r.sendData(id, message, false);
                    Thread.sleep(SEND_INTERVAL_MS);
                }
                long end = System.nanoTime() + streamFor.toNanos();
                while (System.nanoTime() < end && !RejectUploadCall.hasReset(r, id)) {
                    r.sendData(id, message, false);
                    Thread.sleep(SEND_INTERVAL_MS);
                }
            }
            if (!RejectUploadCall.hasReset(r, id)) {
                r.sendData(id, message, true);
            }
            r.awaitStreamEnd(id, Duration.ofSeconds(5));
            r.readFor(Duration.ofMillis(500));
            return new Exchange(request, id, r.frames(), r.streamEnded(id), r.firstServerSettingsNanos());
        }
    }

    private static boolean responseEnded(FrameRecorder r, int id) {
        return r.streamFrames(id).stream().anyMatch(Frame::endStream);
    }

    private static GrpcCalls.Outcome clientStream(int port, long millis) {
        return GrpcCalls.clientStream("127.0.0.1", port, RejectUploadCall.METHOD, new byte[MESSAGE],
                Duration.ofMillis(millis), Duration.ofMillis(SEND_INTERVAL_MS), Duration.ofSeconds(5));
    }

    /**
     * The complete response: a HEADERS carrying grpc-status 7 first, and END_STREAM (on the trailers the end-stream fix
     * adds, or on Tomcat's empty DATA without the agent) before any RST_STREAM.
     */
    /**
     * The code Tomcat resets with after a complete response: CANCEL up to 9.0.70 and 10.1.4 (the catalog's 9.0.70
     * variant, or the app built by hand with {@code -Dtomcat9.version=9.0.70}), NO_ERROR from 9.0.71 and 10.1.5. The
     * version is the one the app prints ({@code Apache Tomcat/X.Y.Z}).
     */
    static long unpatchedCode(ChildJvm child) {
        String line = child.stderrLines().stream().filter(l -> l.contains("Apache Tomcat/")).findFirst().orElseThrow();
        String[] v = line.replaceAll(".*Apache Tomcat/([0-9.]+).*", "$1").split("\\.");
        int major = Integer.parseInt(v[0]);
        int minor = Integer.parseInt(v[1]);
        int patch = Integer.parseInt(v[2]);
        boolean cancel = major < 9 || major == 9 && patch <= 70 || major == 10 && (minor == 0 || patch <= 4);
        return cancel ? CANCEL : NO_ERROR;
    }

    static void assertCompleteResponse(Exchange x, ChildJvm child) {
        List<Frame> fs = x.responseFrames();
        String ctx = Wire.context(x, child);
        assertTrue(!fs.isEmpty() && fs.get(0).is(Frame.HEADERS), "the response should start with HEADERS" + ctx);
        assertEquals("7", fs.get(0).header("grpc-status"), "grpc-status" + ctx);
        int end = -1;
        int reset = -1;
        for (int i = 0; i < fs.size(); i++) {
            if (end < 0 && fs.get(i).endStream()) {
                end = i;
            }
            if (reset < 0 && fs.get(i).is(Frame.RST_STREAM)) {
                reset = i;
            }
        }
        assertTrue(end >= 0 && (reset < 0 || end < reset), "the response should end (END_STREAM) before any reset"
                + ctx);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void withoutAgentTomcatResetsAtOnceAfterTheResponse(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).start()) {
            Exchange direct = call(child.port(), Duration.ofMillis(500));
            assertCompleteResponse(direct, child);
            assertEquals(unpatchedCode(child), firstResetCode(direct), "without the agent, Tomcat resets the stream"
                    + " after the complete response (NO_ERROR from 9.0.71 / 10.1.5, CANCEL before)"
                    + Wire.context(direct, child));
            Frame end = direct.responseFrames().stream().filter(Frame::endStream).findFirst().orElseThrow();
            Frame reset = direct.responseFrames(Frame.RST_STREAM).get(0);
            assertTrue(TimeUnit.NANOSECONDS.toMillis(reset.nanos() - end.nanos()) < BOUND_MS / 2,
                    "at once" + Wire.context(direct, child));
            if (Haproxy.executable() != null) {
                try (Haproxy proxy = Haproxy.inFrontOf(child.port())) {
                    List<String> outcomes = new ArrayList<>();
                    for (int i = 0; i < 6; i++) {
                        outcomes.add(clientStream(proxy.port(), 500).toString());
                    }
                    System.err.println(app + " without agent, grpc-java client streams through HAProxy: " + outcomes);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void withAgentNoResetReachesTheClientWhenItEndsWithinTheBound(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, AGENT_OPTIONS).start()) {
            for (Duration streamFor : List.of(Duration.ZERO, Duration.ofMillis(500))) {
                Exchange x = call(child.port(), streamFor);
                assertCompleteResponse(x, child);
                assertEquals(List.of(), resetCodes(x), "direct, " + describe(streamFor)
                        + ": no RST_STREAM may follow the complete response" + Wire.context(x, child));
            }
            RequiredPeer.require(Haproxy.executable() != null, Haproxy.NOT_INSTALLED);
            try (Haproxy proxy = Haproxy.inFrontOf(child.port())) {
                for (Duration streamFor : List.of(Duration.ZERO, Duration.ofMillis(500))) {
                    Exchange x = call(proxy.port(), streamFor);
                    assertCompleteResponse(x, child);
                    assertEquals(List.of(), resetCodes(x), "through HAProxy, " + describe(streamFor)
                            + ": no RST_STREAM may follow the complete response" + Wire.context(x, child)
                            + "\nhaproxy:\n" + proxy.log());
                }
                for (int i = 0; i < 6; i++) {
                    GrpcCalls.Outcome outcome = clientStream(proxy.port(), 500);
                    assertEquals(Status.Code.PERMISSION_DENIED, outcome.code(), "grpc-java client stream " + i
                            + " through HAProxy: " + outcome + child.describeOutput() + "\nhaproxy:\n" + proxy.log());
                    assertEquals("upload rejected", outcome.description());
                }
                assertTrue(!proxy.log().contains(" SD-- "), "HAProxy saw a server abort:\n" + proxy.log());
            }
            Wire.assertCleanStderr(child, Request.grpc(PATH));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void withAgentAClientThatStreamsPastTheBoundGetsNoError(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, AGENT_OPTIONS + ",reset-defer-bytes=40000").start()) {
            // The time bound.
            Exchange x = call(child.port(), Duration.ofMillis(BOUND_MS * 2L));
            assertCompleteResponse(x, child);
            assertEquals(NO_ERROR, firstResetCode(x), "past the time bound: RST_STREAM(NO_ERROR)"
                    + Wire.context(x, child));
            assertTrue(!resetCodes(x).contains(CANCEL), "never CANCEL" + Wire.context(x, child));
            Frame end = x.responseFrames().stream().filter(Frame::endStream).findFirst().orElseThrow();
            Frame reset = x.responseFrames(Frame.RST_STREAM).get(0);
            long afterMs = TimeUnit.NANOSECONDS.toMillis(reset.nanos() - end.nanos());
            assertTrue(afterMs >= BOUND_MS - 100 && afterMs < BOUND_MS + 900,
                    "the reset should come at the bound (" + BOUND_MS + " ms), came after " + afterMs + " ms"
                            + Wire.context(x, child));

            // The byte bound: 3 x 16 KiB > 40000 bytes (within Tomcat's 64 KiB stream window), after the response.
            try (FrameRecorder r = FrameRecorder.connect(child.port())) {
                r.sendPreface();
                int id = r.openStream(Request.grpc(PATH).withBody((byte[]) null));
                r.awaitStreamEnd(id, Duration.ofSeconds(5));
                assertTrue(r.streamEnded(id), "the complete response should come before the client ends\n"
                        + r.describe() + child.describeOutput());
                Thread.sleep(200);
                for (int i = 0; i < 3; i++) {
                    r.sendData(id, new byte[16384], false);
                }
                List<Frame> frames = r.readUntil(f -> f.streamId() == id && f.is(Frame.RST_STREAM),
                        Duration.ofMillis(BOUND_MS / 2));
                List<Long> codes = FrameRecorder.responseFrames(frames, id).stream()
                        .filter(f -> f.is(Frame.RST_STREAM)).map(Frame::errorCode).collect(Collectors.toList());
                assertEquals(List.of(NO_ERROR), codes.subList(0, Math.min(1, codes.size())),
                        "past the byte bound: RST_STREAM(NO_ERROR) before the time bound\n"
                                + r.describe() + child.describeOutput());
                // The connection is still usable: the discarded bytes' connection window came back.
                int next = r.request(Request.get("/hello"));
                r.awaitStreamEnd(next, Duration.ofSeconds(5));
                assertTrue(r.streamEnded(next), "the connection should still serve\n" + r.describe());
            }
            Cli.Result status = Cli.run("status", Long.toString(child.pid()), "--json");
            assertEquals(1, status.counter("proxy-safe-reset", "deferred-timeout"), "one reset sent at the time bound\n"
                    + status + child.describeOutput());
            assertEquals(1, status.counter("proxy-safe-reset", "deferred-bytes"), "one reset sent at the byte bound\n"
                    + status + child.describeOutput());
            Wire.assertCleanStderr(child, Request.grpc(PATH));
        }
    }

    /**
     * A client that goes on sending small DATA frames (5-byte gRPC messages, as Node's and grpc-js's clients send them)
     * after the complete response. Tomcat's overhead protection counts each small non-final frame and closes the
     * connection at the second in a row (GOAWAY(ENHANCE_YOUR_CALM), seen on 11.0.29); the fix keeps a held stream's
     * frames out of that count and charges each at least 1024 bytes against {@code reset-defer-bytes} (40000 here):
     * 10 small frames then END_STREAM get no reset and no GOAWAY; the 40th small frame ends the hold with
     * RST_STREAM(NO_ERROR). Either way the connection still serves.
     *
     * <p>The client sends each frame once Tomcat has handled the one before, and only once the hold has begun: frames
     * that reach Tomcat before it closes the stream (where the hold begins) or after the reset are Tomcat's to count,
     * as without the agent (docs/fixes/proxy-safe-reset.md, "Tomcat"). Sent at once, a frame or two could land there
     * on a loaded machine, and the test failed then on Tomcat's GOAWAY. The time bound is out of the way (10 s): this
     * is the byte bound's test.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void withAgentAClientSendingSmallFramesKeepsItsAnswerAndItsConnection(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, "reset-defer-ms=10000,reset-defer-bytes=40000").start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            int id = sendSmallFramesAfterTheAnswer(r, 10, child, 1)[0];
            r.sendData(id, new byte[] {0, 0, 0, 0, 0}, true);
            r.readFor(Duration.ofMillis(300));
            String ctx = "\nframes:\n" + r.describe() + child.describeOutput();
            assertEquals(List.of(), resetCodes(r, id), "10 small frames and END_STREAM within the bound: no reset" + ctx);
            assertTrue(r.frames().stream().noneMatch(f -> f.is(Frame.GOAWAY)), "Tomcat keeps the connection" + ctx);

            int[] sent = sendSmallFramesAfterTheAnswer(r, 50, child, 2);
            int many = sent[0];
            r.readFor(Duration.ofMillis(300));
            ctx = "\nframes:\n" + r.describe() + child.describeOutput();
            assertEquals(List.of(NO_ERROR), resetCodes(r, many), "past 39 small frames: one RST_STREAM(NO_ERROR)"
                    + ctx);
            // 39 x 1024 = 39936 bytes charged is within 40000, the 40th frame passes it. The client stops at the
            // reset, or one frame later when Tomcat's WINDOW_UPDATE for the 40th frame came first.
            assertTrue(sent[1] == 40 || sent[1] == 41, "the reset came at the 40th small frame, each charged 1024"
                    + " bytes: sent " + sent[1] + ctx);
            assertTrue(r.frames().stream().noneMatch(f -> f.is(Frame.GOAWAY)), "Tomcat keeps the connection" + ctx);
            int next = r.request(Request.get("/hello"));
            r.awaitStreamEnd(next, Duration.ofSeconds(5));
            assertTrue(r.streamEnded(next), "the connection still serves" + ctx);
            Cli.Result status = Cli.run("status", Long.toString(child.pid()), "--json");
            assertEquals(1, status.counter("proxy-safe-reset", "avoided"), status + ctx);
            assertEquals(1, status.counter("proxy-safe-reset", "deferred-bytes"), status + ctx);
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    /**
     * Opens a RejectUpload stream, waits for its complete answer and for the agent to hold its reset (the
     * {@code deferred} counter at {@code holds}), then sends up to {@code frames} 5-byte non-final DATA frames, each
     * once Tomcat has handled the one before (its connection WINDOW_UPDATE for it arrived), stopping at a reset.
     * Returns the stream id and how many frames were sent.
     */
    private static int[] sendSmallFramesAfterTheAnswer(FrameRecorder r, int frames, ChildJvm child, long holds)
            throws Exception {
        int id = r.openStream(Request.grpc(PATH).withBody((byte[]) null));
        r.awaitStreamEnd(id, Duration.ofSeconds(5));
        assertTrue(r.streamEnded(id), "the complete response first\n" + r.describe() + child.describeOutput());
        awaitHolds(child, holds);
        int sent = 0;
        for (int i = 0; i < frames && !RejectUploadCall.hasReset(r, id); i++) {
            int handled = connectionWindowUpdates(r) + 1;
            r.sendData(id, new byte[] {0, 0, 0, 0, 0}, false);
            sent++;
            int[] seen = {0};
            r.readUntil(f -> f.is(Frame.RST_STREAM) && f.streamId() == id
                    || f.is(Frame.WINDOW_UPDATE) && f.streamId() == 0 && ++seen[0] >= handled, Duration.ofSeconds(2));
        }
        return new int[] {id, sent};
    }

    private static int connectionWindowUpdates(FrameRecorder r) {
        return (int) r.frames().stream().filter(f -> f.is(Frame.WINDOW_UPDATE) && f.streamId() == 0).count();
    }

    /** Waits until the agent in {@code child} has held {@code holds} resets back (its {@code deferred} counter). */
    private static void awaitHolds(ChildJvm child, long holds) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Cli.Result status;
        do {
            status = Cli.run("status", Long.toString(child.pid()), "--json");
            if (status.counter("proxy-safe-reset", "deferred") >= holds) {
                return;
            }
        } while (System.nanoTime() < deadline);
        throw new AssertionError("the agent never held reset " + holds + ":\n" + status + child.describeOutput());
    }

    /**
     * An upload larger than Tomcat's 64 KiB stream window, sent after the complete response as a flow-controlled
     * client sends it (16 KiB frames, within the windows the server's WINDOW_UPDATEs give): Tomcat returns no stream
     * window for a stream that cannot write, so without the window return the client waited at 64 KiB until the time
     * bound and got the reset (nghttp's 512 KiB upload through HAProxy ended CANCEL). With the agent the stream's
     * window comes back for the discarded bytes, the 256 KiB reach END_STREAM well within the bound, and no reset
     * follows.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void withAgentAnUploadLargerThanTheStreamWindowEndsWithoutReset(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, AGENT_OPTIONS).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            int id = r.openStream(Request.grpc(PATH).withBody((byte[]) null));
            r.awaitStreamEnd(id, Duration.ofSeconds(5));
            assertTrue(r.streamEnded(id), "the complete response first\n" + r.describe() + child.describeOutput());
            long started = System.nanoTime();
            int sent = uploadWithinWindows(r, id, 256 * 1024, Duration.ofMillis(BOUND_MS / 2));
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            if (sent == 256 * 1024) {
                r.sendData(id, new byte[0], true);
            }
            r.readFor(Duration.ofMillis(300));
            String ctx = "\nsent " + sent + " bytes in " + tookMs + " ms\nframes:\n" + r.describe()
                    + child.describeOutput();
            assertEquals(256 * 1024, sent, "the stream window should come back for the discarded bytes" + ctx);
            assertEquals(List.of(), resetCodes(r, id), "the upload ended within the bounds: no reset" + ctx);
            int next = r.request(Request.get("/hello"));
            r.awaitStreamEnd(next, Duration.ofSeconds(5));
            assertTrue(r.streamEnded(next), "the connection still serves" + ctx);
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
            Wire.assertCleanStderr(child, Request.grpc(PATH));
        }
    }

    /**
     * Sends {@code total} bytes on {@code id} in DATA frames of at most 16 KiB, never past the stream's or the
     * connection's send window (65535 each at the start, RFC 9113 §6.9.2, plus the server's WINDOW_UPDATEs), until
     * all is sent, the stream is reset, or {@code timeout} passes waiting for window. Returns the bytes sent.
     */
    private static int uploadWithinWindows(FrameRecorder r, int id, int total, Duration timeout) throws Exception {
        long streamWindow = 65535;
        long connectionWindow = 65535;
        int seen = 0;
        int sent = 0;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (sent < total && !RejectUploadCall.hasReset(r, id) && System.nanoTime() < deadline) {
            List<Frame> frames = r.frames();
            for (; seen < frames.size(); seen++) {
                Frame f = frames.get(seen);
                if (f.is(Frame.WINDOW_UPDATE) && f.payload() != null && f.payload().length >= 4) {
                    long increment = ((f.payload()[0] & 0x7fL) << 24) | ((f.payload()[1] & 0xffL) << 16)
                            | ((f.payload()[2] & 0xffL) << 8) | (f.payload()[3] & 0xffL);
                    if (f.streamId() == 0) {
                        connectionWindow += increment;
                    } else if (f.streamId() == id) {
                        streamWindow += increment;
                    }
                }
            }
            int n = (int) Math.min(Math.min(16384, total - sent), Math.min(streamWindow, connectionWindow));
            if (n <= 0) {
                r.readFor(Duration.ofMillis(10));
                continue;
            }
            r.sendData(id, new byte[n], false);
            sent += n;
            streamWindow -= n;
            connectionWindow -= n;
        }
        return sent;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void reportModeChangesNothing(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, "mode=report," + AGENT_OPTIONS).start()) {
            Exchange x = call(child.port(), Duration.ofMillis(500));
            assertCompleteResponse(x, child);
            assertEquals(unpatchedCode(child), firstResetCode(x), "report mode: Tomcat's own reset"
                    + Wire.context(x, child));
            Cli.Result status = Cli.run("status", Long.toString(child.pid()), "--json");
            assertTrue(status.counter("proxy-safe-reset", "would-change") >= 1, status.toString());
            assertEquals(0, status.counter("proxy-safe-reset", "deferred"), status.toString());
        }
    }
}
