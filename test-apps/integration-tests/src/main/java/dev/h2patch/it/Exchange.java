package dev.h2patch.it;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Collectors;

/**
 * What {@link FrameRecorder#exchange} saw for one request on a fresh connection.
 *
 * @param request what was sent
 * @param streamId the request's stream (1 on a fresh connection)
 * @param frames every frame received on the connection, connection-level ones included, in arrival order
 * @param ended whether the stream ended (END_STREAM or RST_STREAM) before the deadline
 * @param firstServerSettingsNanos when the server's first SETTINGS arrived (nanos since connect), -1 if never
 */
public record Exchange(Request request, int streamId, List<Frame> frames, boolean ended,
        long firstServerSettingsNanos) {

    public Exchange {
        frames = List.copyOf(frames);
    }

    /** Every frame on the request's stream, in arrival order. */
    public List<Frame> streamFrames() {
        return frames.stream().filter(f -> f.streamId() == streamId).collect(Collectors.toList());
    }

    /**
     * The frames that make up the response on the request's stream: HEADERS, CONTINUATION, DATA, RST_STREAM,
     * PUSH_PROMISE (flow-control and priority frames left out, they depend on timing, not on the response).
     */
    public List<Frame> responseFrames() {
        return FrameRecorder.responseFrames(frames, streamId);
    }

    /** The response frames of the stream of a given type. */
    public List<Frame> responseFrames(int type) {
        return responseFrames().stream().filter(f -> f.is(type)).collect(Collectors.toList());
    }

    /** The concatenated DATA payloads of the stream. */
    public byte[] body() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Frame f : streamFrames()) {
            if (f.is(Frame.DATA)) {
                out.writeBytes(f.payload());
            }
        }
        return out.toByteArray();
    }

    public String bodyText() {
        return new String(body(), StandardCharsets.UTF_8);
    }

    /** The value of {@code name} in the first HEADERS of the stream that carries it, or null. */
    public String header(String name) {
        for (Frame f : responseFrames()) {
            String v = f.header(name);
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    /** The descriptions of the response frames, for comparing two exchanges. */
    public List<String> responseShape() {
        return Frame.shapes(responseFrames());
    }

    /** A multi-line description for assertion messages: the request, then every frame received. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("request ").append(request).append(" on stream ").append(streamId)
                .append(ended ? "" : " (stream did NOT end before the deadline)").append('\n');
        for (Frame f : frames) {
            sb.append("  ").append(f.describeTimed()).append('\n');
        }
        if (frames.isEmpty()) {
            sb.append("  (no frames)\n");
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return describe();
    }
}
