package org.apache.coyote.http2;

/** Stand-in for Tomcat's package-private StreamException (see FakeTomcat). */
public class StreamException extends Http2Exception {
    private final int streamId;

    StreamException(String message, FakeTomcat.Http2Error error, int streamId) {
        super(message, error);
        this.streamId = streamId;
    }

    int getStreamId() {
        return streamId;
    }

    public static StreamException of(FakeTomcat.Http2Error error, int streamId) {
        return new StreamException("test", error, streamId);
    }
}
