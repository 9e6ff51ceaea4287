package dev.h2patch.it;

import java.io.IOException;
import java.time.Duration;

/**
 * One call to the test apps' {@code /h2patch.Test/RejectUpload} route (seed 004): the server answers the request
 * HEADERS with a complete gRPC error and then asks for a reset while the client may still be sending.
 *
 * <p>The proxy-safe-reset fix's bounds start when the server has answered, so a streaming client here keeps sending
 * until that complete response has arrived and only then for {@code streamFor} more. Timing the stream from the
 * request instead made the tests depend on how fast a cold JVM answers its first call, which on a loaded machine can
 * take over a second.
 */
final class RejectUploadCall {

    /** How long a streaming client waits, sending, for the server's complete response. */
    static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(10);

    private static final long SEND_INTERVAL_MS = 50;

    private RejectUploadCall() {
    }

    /**
     * Opens the stream, then: with {@code streamFor} zero, sends one message with END_STREAM {@code unaryGapMillis}
     * after the HEADERS (a unary call); otherwise sends a message every 50 ms until the complete response has arrived
     * and for {@code streamFor} after it (or until the stream is reset), then one with END_STREAM. Returns what the
     * server sent.
     */
    static Exchange call(int port, String path, Duration streamFor, long unaryGapMillis)
            throws IOException, InterruptedException {
        Request request = Request.grpc(path);
        byte[] message = Request.grpcFrame(new byte[0]);
        try (FrameRecorder r = FrameRecorder.connect(port)) {
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

    static boolean hasReset(FrameRecorder r, int id) {
        return r.streamFrames(id).stream().anyMatch(f -> f.is(Frame.RST_STREAM));
    }

    private static boolean responseComplete(FrameRecorder r, int id) {
        return r.streamFrames(id).stream().anyMatch(f -> f.is(Frame.HEADERS) && f.endStream());
    }
}
