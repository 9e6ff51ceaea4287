package dev.h2patch.it;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A request for the {@link FrameRecorder}: pseudo-headers (scheme http, authority 127.0.0.1:PORT unless given),
 * regular headers in order, and an optional body.
 *
 * @param body null: END_STREAM on the HEADERS frame; otherwise DATA frame(s) with END_STREAM on the last (an empty
 *     array sends one empty DATA with END_STREAM)
 */
public record Request(String method, String path, String authority, List<Frame.Header> headers, byte[] body) {

    public Request {
        headers = List.copyOf(headers);
    }

    /** A GET without body (END_STREAM on HEADERS). */
    public static Request get(String path) {
        return new Request("GET", path, null, List.of(), null);
    }

    /**
     * A unary gRPC call: POST, content-type application/grpc, te: trailers, and one length-prefixed message (5-byte
     * header, uncompressed) with END_STREAM. An empty {@code message} gives the body {@code 00 00 00 00 00}.
     */
    public static Request grpc(String path, byte[] message) {
        return new Request("POST", path, null,
                List.of(new Frame.Header("content-type", "application/grpc"), new Frame.Header("te", "trailers")),
                grpcFrame(message));
    }

    /** {@link #grpc(String, byte[])} with an empty message. */
    public static Request grpc(String path) {
        return grpc(path, new byte[0]);
    }

    /** The gRPC length-prefixed message: flag 0, 4-byte big-endian length, the bytes. */
    public static byte[] grpcFrame(byte[] message) {
        byte[] b = new byte[5 + message.length];
        int n = message.length;
        b[1] = (byte) (n >>> 24);
        b[2] = (byte) (n >>> 16);
        b[3] = (byte) (n >>> 8);
        b[4] = (byte) n;
        System.arraycopy(message, 0, b, 5, n);
        return b;
    }

    public Request withHeader(String name, String value) {
        List<Frame.Header> h = new ArrayList<>(headers);
        h.add(new Frame.Header(name, value));
        return new Request(method, path, authority, h, body);
    }

    public Request withBody(byte[] newBody) {
        return new Request(method, path, authority, headers, newBody);
    }

    public Request withBody(String text) {
        return withBody(text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public String toString() {
        return method + " " + path + (body == null ? "" : " (" + body.length + " body bytes)");
    }
}
