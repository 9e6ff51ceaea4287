package dev.h2patch.netty;

import static dev.h2patch.netty.NettyFixes.CONTEXT;
import static dev.h2patch.netty.NettyFixes.HTTP2;

import dev.h2patch.FixNames;
import dev.h2patch.TypePatch;
import java.util.Arrays;
import java.util.List;

/**
 * connection-state for Netty: an HTTP/2 server connection with open streams is treated as active, not new or idle
 * (docs/fixes/connection-state.md; RFC 9113 §6.8; netty#3731, netty#12660).
 *
 * <p>Netty's {@code EventLoopGroup.shutdownGracefully()} closes every channel with {@code unsafe().close()}: no GOAWAY,
 * in-flight streams cut, the replies the application scheduled on the loops cancelled. Idle and read-timeout handlers
 * close connections whose streams are active but quiet. Three advice, on four methods:
 * <ul>
 *   <li>{@link ConnectionHandlerAddedAdvice}: remembers each HTTP/2 server connection and its event loop group;</li>
 *   <li>{@link GroupShutdownAdvice}: before a group that serves such connections shuts down, each is closed through
 *       its pipeline (GOAWAY(NO_ERROR), new streams refused, in-flight ones finish), bounded by the caller's
 *       shutdown timeout or {@code shutdown-drain-ms}; then the real shutdown runs with what is left of the
 *       timeout;</li>
 *   <li>{@link IdleStateChannelIdleAdvice}, on {@code IdleStateHandler} and {@code ReadTimeoutHandler}: no reader-idle
 *       or all-idle event, no read timeout, while the connection is doing work (streams active and HEADERS or DATA
 *       moving), bounded by {@code idle-defer-max-ms}; writer-idle events untouched.</li>
 * </ul>
 */
public final class NettyConnectionStateFix extends NettyFix {

    @Override
    public String name() {
        return FixNames.CONNECTION_STATE;
    }

    @Override
    public List<TypePatch> patches() {
        return Arrays.asList(
                TypePatch.type(HTTP2 + "Http2ConnectionHandler")
                        .advise(ConnectionHandlerAddedAdvice.class, "handlerAdded", CONTEXT),
                TypePatch.type("io.netty.util.concurrent.MultithreadEventExecutorGroup")
                        .advise(GroupShutdownAdvice.class, "shutdownGracefully",
                                "long", "long", "java.util.concurrent.TimeUnit"),
                TypePatch.type("io.netty.handler.timeout.IdleStateHandler")
                        .advise(IdleStateChannelIdleAdvice.class, "channelIdle",
                                CONTEXT, "io.netty.handler.timeout.IdleStateEvent"),
                TypePatch.type("io.netty.handler.timeout.ReadTimeoutHandler")
                        .advise(IdleStateChannelIdleAdvice.class, "channelIdle",
                                CONTEXT, "io.netty.handler.timeout.IdleStateEvent"));
    }
}
