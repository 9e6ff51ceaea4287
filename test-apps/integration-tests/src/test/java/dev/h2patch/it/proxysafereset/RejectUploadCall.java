package dev.h2patch.it.proxysafereset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.Catalog;
import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Exchange;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.GrpcCalls;
import dev.h2patch.it.Haproxy;
import dev.h2patch.it.Repo;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.RequiredPeer;
import dev.h2patch.it.harness.Wire;
import io.grpc.Status;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * One call to the test apps' {@code /h2patch.Test/RejectUpload} route (docs/bugs.md#proxy-safe-reset): the server answers the request
 * HEADERS with a complete gRPC error and then asks for a reset while the client may still be sending.
 *
 * <p>The proxy-safe-reset fix's bounds start when the server has answered, so a streaming client here keeps sending
 * until that complete response has arrived and only then for {@code streamFor} more. Timing the stream from the
 * request instead made the tests depend on how fast a cold JVM answers its first call, which on a loaded machine can
 * take over a second.
 */
public final class RejectUploadCall {

    /** The gRPC method name of the route, for grpc-java. */
    public static final String METHOD = "h2patch.Test/RejectUpload";

    /** How long a streaming client waits, sending, for the server's complete response. */
    public static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(10);

    private static final long SEND_INTERVAL_MS = 50;

    private RejectUploadCall() {
    }

    /**
     * Opens the stream, then: with {@code streamFor} zero, sends one message with END_STREAM {@code unaryGapMillis}
     * after the HEADERS (a unary call); otherwise sends a message every 50 ms until the complete response has arrived
     * and for {@code streamFor} after it (or until the stream is reset), then one with END_STREAM. Returns what the
     * server sent.
     */
    public static Exchange call(int port, String path, Duration streamFor, long unaryGapMillis)
            throws IOException, InterruptedException {
        return call(FrameRecorder.Transport.H2C, port, path, streamFor, unaryGapMillis);
    }

    /** {@link #call(int, String, Duration, long)} over {@code transport} (h2c or TLS). */
    public static Exchange call(FrameRecorder.Transport transport, int port, String path, Duration streamFor,
            long unaryGapMillis) throws IOException, InterruptedException {
        Request request = Request.grpc(path);
        byte[] message = Request.grpcFrame(new byte[0]);
        try (FrameRecorder r = transport.connect(port)) {
            r.sendPreface();
            int id = r.openStream(request.withBody((byte[]) null));
            if (streamFor.isZero()) {
                Thread.sleep(unaryGapMillis);
            } else {
                long answered = System.nanoTime() + RESPONSE_TIMEOUT.toNanos();
                while (System.nanoTime() < answered && !responseComplete(r, id) && !hasReset(r, id)) {
                    r.sendData(id, message, false);
                    Thread.sleep(SEND_INTERVAL_MS);
                }
                long end = System.nanoTime() + streamFor.toNanos();
                while (System.nanoTime() < end && !hasReset(r, id)) {
                    r.sendData(id, message, false);
                    Thread.sleep(SEND_INTERVAL_MS);
                }
            }
            if (!hasReset(r, id)) {
                r.sendData(id, message, true);
            }
            r.awaitStreamEnd(id, Duration.ofSeconds(5));
            r.readFor(Duration.ofMillis(500));
            return new Exchange(request, id, r.frames(), r.streamEnded(id), r.firstServerSettingsNanos());
        }
    }

    /**
     * The reset an app without the agent sends right after the complete response (docs/fixes/proxy-safe-reset.md):
     * NO_ERROR on Jetty 12.0, CANCEL on Netty and the other Jetty lines.
     */
    public static long unpatchedResetCode(String app) {
        Catalog.App a = Catalog.app(app);
        return a.library().equals("Jetty") && a.line().equals("12.0") ? 0x0 : 0x8;
    }

    public static String describe(Duration streamFor) {
        return streamFor.isZero() ? "unary" : "client stream of " + streamFor.toMillis() + " ms";
    }

    /** The code of the first RST_STREAM on the stream, -1 if none. */
    public static long firstResetCode(Exchange x) {
        List<Long> codes = resetCodes(x);
        return codes.isEmpty() ? -1 : codes.get(0);
    }

    public static List<Long> resetCodes(Exchange x) {
        return x.responseFrames(Frame.RST_STREAM).stream().map(Frame::errorCode).collect(Collectors.toList());
    }

    /** The response is one HEADERS with END_STREAM carrying grpc-status 7, first on the stream. */
    public static void assertCompleteResponse(Exchange x, ChildJvm child) {
        List<Frame> fs = x.responseFrames();
        String ctx = Wire.context(x, child);
        assertTrue(!fs.isEmpty() && fs.get(0).is(Frame.HEADERS) && fs.get(0).endStream(),
                "the response should be one HEADERS with END_STREAM" + ctx);
        assertEquals("7", fs.get(0).header("grpc-status"), "grpc-status" + ctx);
        assertEquals("upload rejected", fs.get(0).header("grpc-message"), "grpc-message" + ctx);
    }

    public static GrpcCalls.Outcome clientStream(int port, long millis) {
        return GrpcCalls.clientStream("127.0.0.1", port, METHOD, new byte[0], Duration.ofMillis(millis),
                Duration.ofMillis(50), Duration.ofSeconds(5));
    }

    public static void assertServerStatus(GrpcCalls.Outcome outcome, String what, ChildJvm child, Haproxy proxy) {
        assertEquals(Status.Code.PERMISSION_DENIED, outcome.code(), what + ": " + outcome
                + child.describeOutput() + "\nhaproxy:\n" + proxy.log());
        assertEquals("upload rejected", outcome.description(), what);
    }

    /** What test-apps/interop/node/reject-upload.js printed, or null when node is not installed. */
    public record NodeResult(String json, String stderr) {
        @Override
        public String toString() {
            return json + (stderr.isEmpty() ? "" : " (stderr: " + stderr + ")");
        }
    }

    public static NodeResult node(int port, long streamMs) throws IOException, InterruptedException {
        Path script = Repo.root().resolve("test-apps/interop/node/reject-upload.js");
        Path nodeExe = Stream.of("/usr/bin/node", "/usr/local/bin/node").map(Path::of)
                .filter(Files::isExecutable).findFirst().orElse(null);
        if (nodeExe == null && !RequiredPeer.required()) {
            System.err.println("node is not installed: skipping the Node http2 client checks");
            return null;
        }
        RequiredPeer.require(nodeExe != null, "node is not installed (Debian package nodejs; .ci/run installs it)");
        Process p = new ProcessBuilder(nodeExe.toString(), script.toString(), "--port", String.valueOf(port),
                "--stream-ms", String.valueOf(streamMs)).start();
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        return new NodeResult(out, err);
    }

    /** The codes of the RST_STREAM frames the recorder received on stream {@code id}, in order. */
    public static List<Long> resetCodes(FrameRecorder r, int id) {
        return r.streamFrames(id).stream().filter(f -> f.is(Frame.RST_STREAM)).map(Frame::errorCode)
                .collect(Collectors.toList());
    }

    public static boolean hasReset(FrameRecorder r, int id) {
        return r.streamFrames(id).stream().anyMatch(f -> f.is(Frame.RST_STREAM));
    }

    private static boolean responseComplete(FrameRecorder r, int id) {
        return r.streamFrames(id).stream().anyMatch(f -> f.is(Frame.HEADERS) && f.endStream());
    }
}
