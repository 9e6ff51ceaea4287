package dev.h2patch.netty;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into {@code IdleStateHandler.channelIdle(ctx, IdleStateEvent)} (protected; called by the handler's timer
 * tasks, which have already re-armed themselves): on an HTTP/2 server connection that has active streams, the idle
 * event is not delivered.
 *
 * <p>Why: {@code IdleStateHandler} counts only the bytes passing its position in the pipeline and never looks at the
 * streams (netty#12660), and the usual pattern — a handler that closes the channel on {@code IdleStateEvent} — cuts a
 * server-streaming or long-polling response that is merely quiet (seed 003: the connection reads as idle while
 * streams are active). With the event held back, the next one comes one idle period later; once the connection has
 * no active stream, events are delivered as before, so idle connections are still closed.
 *
 * <p>Fast path: this method runs once per idle period, never per frame; finding the HTTP/2 handler walks the
 * pipeline, which is fine at that rate. Not covered: Reactor Netty's {@code IdleTimeoutHandler} and Vert.x's
 * {@code handleIdle}, which do not go through this method.
 */
public final class IdleStateChannelIdleAdvice {

    private IdleStateChannelIdleAdvice() {
    }

    /** Returns true to skip the method: the connection has active streams. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter(@Advice.Argument(0) ChannelHandlerContext ctx) {
        Http2ConnectionHandler http2 = ctx.pipeline().get(Http2ConnectionHandler.class);
        if (http2 == null) {
            return false;
        }
        Http2Connection connection = http2.connection();
        if (!connection.isServer() || connection.numActiveStreams() == 0) {
            return false;
        }
        if (H2patchRuntime.reportOnly) {
            Counters.increment(Counters.CONNECTION_STATE_WOULD_CHANGE);
            return false;
        }
        Counters.increment(Counters.CONNECTION_STATE_IDLE_DEFERRED);
        return true;
    }
}
