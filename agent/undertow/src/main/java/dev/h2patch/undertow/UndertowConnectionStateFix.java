package dev.h2patch.undertow;

import dev.h2patch.FixNames;
import dev.h2patch.TypePatch;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * connection-state for Undertow 2.2, 2.3 and 2.4 (docs/fixes/connection-state.md, "Undertow"): a client's
 * GOAWAY(NO_ERROR) lets the streams in flight finish, instead of Undertow resetting every stream and closing the
 * connection at once; a graceful shutdown ({@code GracefulShutdownHandler.shutdown()}) sends GOAWAY(NO_ERROR) on every
 * HTTP/2 connection first, lets the streams in flight finish, then closes (at most {@code shutdown-drain-ms} later).
 *
 * <p>{@link GoAwayFrameAdvice} on {@code Http2Channel.createChannelImpl} marks the thread while Undertow handles such
 * a GOAWAY; meanwhile {@link SkipWhileGoAwayAdvice} skips the streams' {@code rstStream()} and
 * {@link SendGoAwayAdvice} skips the channel's {@code sendGoAway} (which would close the connection).
 * {@link StreamRemovedAdvice}, on the channel's {@code removeStreamSink}/{@code removeStreamSource}, sends Undertow's
 * own GOAWAY(NO_ERROR), which closes, once the last stream of such a connection has ended.
 *
 * <p>Shutdown: {@link RegisterConnectionAdvice} remembers each server connection as Undertow opens it;
 * {@link GracefulShutdownAdvice} sends the GOAWAYs; {@link GoAwayLastFrameAdvice} keeps such a GOAWAY from being
 * Undertow's last frame on a connection with streams in flight, which {@link StreamRemovedAdvice} closes at its last
 * stream.
 */
public final class UndertowConnectionStateFix extends UndertowFix {

    static final String CHANNEL = "io.undertow.protocols.http2.Http2Channel";

    @Override
    public String name() {
        return FixNames.CONNECTION_STATE;
    }

    @Override
    public List<String> helpersToStopOnDetach() {
        return Collections.singletonList("dev.h2patch.bootstrap.undertow.UndertowShutdown");
    }

    @Override
    public List<TypePatch> patches() {
        return Arrays.asList(
                TypePatch.type(CHANNEL)
                        .advise(GoAwayFrameAdvice.class, "createChannelImpl",
                                "io.undertow.server.protocol.framed.FrameHeaderData",
                                "io.undertow.connector.PooledByteBuffer")
                        .advise(SendGoAwayAdvice.class, "sendGoAway", "int", "org.xnio.ChannelExceptionHandler")
                        .advise(StreamRemovedAdvice.class, "removeStreamSink", "int")
                        .advise(StreamRemovedAdvice.class, "removeStreamSource", "int"),
                TypePatch.type("io.undertow.protocols.http2.Http2StreamSinkChannel")
                        .advise(SkipWhileGoAwayAdvice.class, "rstStream"),
                TypePatch.type("io.undertow.protocols.http2.AbstractHttp2StreamSourceChannel")
                        .advise(SkipWhileGoAwayAdvice.class, "rstStream"),
                TypePatch.type("io.undertow.server.protocol.framed.AbstractFramedChannel")
                        .advise(RegisterConnectionAdvice.class, "resumeReceives"),
                TypePatch.type("io.undertow.server.handlers.GracefulShutdownHandler")
                        .advise(GracefulShutdownAdvice.class, "shutdown"),
                TypePatch.type("io.undertow.protocols.http2.Http2GoAwayStreamSinkChannel")
                        .advise(GoAwayLastFrameAdvice.class, "isLastFrame"));
    }
}
