package dev.h2patch.bootstrap.undertow;

/** Stand-in for Undertow's GOAWAY frame channel, found next to {@link FakeHttp2Channel} as Undertow's is. */
class Http2GoAwayStreamSinkChannel {
    final FakeHttp2Channel channel;
    final int status;
    final int lastGoodStreamId;

    Http2GoAwayStreamSinkChannel(FakeHttp2Channel channel, int status, int lastGoodStreamId) {
        this.channel = channel;
        this.status = status;
        this.lastGoodStreamId = lastGoodStreamId;
    }

    public void shutdownWrites() {
        channel.goAways.add(this);
    }
}
