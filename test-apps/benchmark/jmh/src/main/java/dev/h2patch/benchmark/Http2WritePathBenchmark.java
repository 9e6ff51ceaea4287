package dev.h2patch.benchmark;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameAdapter;
import io.netty.handler.codec.http2.Http2FrameWriter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2RemoteFlowController;
import io.netty.util.ReferenceCountUtil;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * Netty 4.1's HTTP/2 server write path for responses that need no change, through the real codec
 * ({@link Http2ConnectionHandler} with {@code DefaultHttp2ConnectionEncoder} and {@code DefaultHttp2FrameWriter}) on
 * an {@link EmbeddedChannel} whose first outbound handler discards what reaches it (no socket, no copy to an outbound
 * buffer: what is left is the codec and the advice). The same code runs with and without
 * {@code -javaagent:h2patch-agent.jar}; the difference in ns/op and B/op ({@code -prof gc}) is what the agent adds.
 *
 * <p>Advice on these paths: {@code EncoderWriteHeadersAdvice} and {@code EncoderWriteDataAdvice} (server connection,
 * live stream, no fix needed), {@code FrameWriterWriteDataAdvice} (DATA with a body, or an empty END_STREAM DATA on a
 * channel without a parent: an EmbeddedChannel is not an accepted connection, so the fold check stops there, as it
 * does for client connections; on a real accepted connection an empty END_STREAM DATA goes on to look at the unflushed
 * tail) and {@code HeadContextChannelReadAdvice} (every read on every pipeline).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class Http2WritePathBenchmark {

    /** The channel's head: releases every message and completes its promise, like a socket that takes everything. */
    static final class Discard extends ChannelOutboundHandlerAdapter {
        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            ReferenceCountUtil.release(msg);
            promise.trySuccess();
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
        }
    }

    /** The first inbound handler of the read benchmark: consumes what the pipeline head hands it. */
    static final class Consume extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }
    }

    private EmbeddedChannel channel;
    private Http2ConnectionHandler handler;
    private Http2Connection connection;
    private Http2ConnectionEncoder encoder;
    private Http2FrameWriter frameWriter;
    private ChannelHandlerContext ctx;
    private Http2RemoteFlowController flow;

    private EmbeddedChannel readChannel;

    private Http2Headers plainHeaders;
    private Http2Headers grpcHeaders;
    private Http2Headers grpcTrailers;
    private ByteBuf body;
    private ByteBuf grpcMessage;
    private ByteBuf inboundFrame;
    private int nextStreamId = 1;

    @Setup(Level.Trial)
    public void setUp() {
        handler = new Http2ConnectionHandlerBuilder().server(true).frameListener(new Http2FrameAdapter()).build();
        channel = new EmbeddedChannel(new Discard(), handler);
        connection = handler.connection();
        encoder = handler.encoder();
        frameWriter = encoder.frameWriter();
        ctx = channel.pipeline().context(handler);
        flow = encoder.flowController();

        plainHeaders = new DefaultHttp2Headers().status("200").set("content-type", "text/plain; charset=utf-8")
                .setInt("content-length", 6);
        grpcHeaders = new DefaultHttp2Headers().status("200").set("content-type", "application/grpc");
        grpcTrailers = new DefaultHttp2Headers().set("grpc-status", "0");
        body = PooledByteBufAllocator.DEFAULT.directBuffer(6).writeBytes("hello\n".getBytes(StandardCharsets.US_ASCII));
        grpcMessage = PooledByteBufAllocator.DEFAULT.directBuffer(8).writeBytes(new byte[] {0, 0, 0, 0, 3, 8, 1, 16});

        readChannel = new EmbeddedChannel(new Consume());
        // A DATA frame (length 5, END_STREAM, stream 1) and its 5-byte gRPC message, as a read from the socket.
        inboundFrame = PooledByteBufAllocator.DEFAULT.directBuffer(14)
                .writeBytes(new byte[] {0, 0, 5, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0});
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        channel.finishAndReleaseAll();
        readChannel.finishAndReleaseAll();
        body.release();
        grpcMessage.release();
        inboundFrame.release();
    }

    /** A new client stream whose request is complete (half-closed remote), as when the application answers it. */
    private int newStream() throws Http2Exception {
        int id = nextStreamId;
        nextStreamId = id + 2;
        if (nextStreamId < 0) {
            throw new IllegalStateException("stream ids exhausted: run shorter iterations");
        }
        connection.remote().createStream(id, true);
        // The client never sends WINDOW_UPDATE here: keep the connection window open (identical work on both sides).
        if (flow.windowSize(connection.connectionStream()) < (1 << 20)) {
            flow.incrementWindowSize(connection.connectionStream(), 1 << 30);
        }
        return id;
    }

    /** A plain HTTP response with a body: HEADERS, DATA(END_STREAM), flush. */
    @Benchmark
    public ChannelFuture plainResponse() throws Http2Exception {
        int id = newStream();
        encoder.writeHeaders(ctx, id, plainHeaders, 0, false, ctx.newPromise());
        ChannelFuture last = encoder.writeData(ctx, id, body.retainedDuplicate(), 0, true, ctx.newPromise());
        channel.flush();
        return last;
    }

    /** A correct gRPC response (as grpc-java sends it): HEADERS, DATA, trailers HEADERS(END_STREAM), flush. */
    @Benchmark
    public ChannelFuture grpcResponse() throws Http2Exception {
        int id = newStream();
        encoder.writeHeaders(ctx, id, grpcHeaders, 0, false, ctx.newPromise());
        encoder.writeData(ctx, id, grpcMessage.retainedDuplicate(), 0, false, ctx.newPromise());
        ChannelFuture last = encoder.writeHeaders(ctx, id, grpcTrailers, 0, true, ctx.newPromise());
        channel.flush();
        return last;
    }

    /** The frame writer alone: a DATA frame with a body (not the last), the most frequent frame of a large response. */
    @Benchmark
    public ChannelFuture frameWriterData() {
        return frameWriter.writeData(ctx, 1, body.retainedDuplicate(), 0, false, ctx.newPromise());
    }

    /** The frame writer alone: an empty DATA(END_STREAM) on a channel that is not an accepted connection. */
    @Benchmark
    public ChannelFuture frameWriterEmptyEndStream() {
        return frameWriter.writeData(ctx, 1, Unpooled.EMPTY_BUFFER, 0, true, ctx.newPromise());
    }

    /** A read handed to the pipeline (HeadContext.channelRead): 14 bytes that are not a client preface. */
    @Benchmark
    public EmbeddedChannel headChannelRead() {
        readChannel.pipeline().fireChannelRead(inboundFrame.retainedDuplicate());
        return readChannel;
    }
}
