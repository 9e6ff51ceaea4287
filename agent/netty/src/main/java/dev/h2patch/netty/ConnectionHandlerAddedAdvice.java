package dev.h2patch.netty;

import dev.h2patch.bootstrap.ConnectionDrain;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into {@code Http2ConnectionHandler.handlerAdded(ctx)} (which {@code Http2FrameCodec},
 * {@code Http2MultiplexCodec} and grpc-java's handlers all reach through {@code super}): remembers each HTTP/2
 * <em>server</em> connection, with the group of its event loop, in {@link ConnectionDrain}.
 *
 * <p>Why: when the application shuts that group down, {@link GroupShutdownAdvice} must find the connections it serves
 * to drain them first (docs/fixes/connection-state.md, "Shutdown, after"), and Netty's event loops do not expose their
 * channels. Netty defers {@code handlerAdded} until the channel is registered, so {@code eventLoop()} is known here.
 *
 * <p>Runs once per connection, not per stream: one small entry in a weak map; nothing for client connections.
 */
public final class ConnectionHandlerAddedAdvice {

    private ConnectionHandlerAddedAdvice() {
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void onExit(@Advice.This Http2ConnectionHandler handler,
                       @Advice.Argument(0) ChannelHandlerContext ctx) {
        if (handler.connection().isServer()) {
            Channel channel = ctx.channel();
            ConnectionDrain.track(channel, handler, channel.eventLoop().parent(), channel.closeFuture());
        }
    }
}
