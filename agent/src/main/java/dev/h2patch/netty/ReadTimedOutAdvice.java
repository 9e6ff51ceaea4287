package dev.h2patch.netty;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into {@code ReadTimeoutHandler.readTimedOut(ctx)} (protected; {@code ReadTimeoutHandler.channelIdle} is
 * final and calls it, and the reader-idle timer has already re-armed itself): on an HTTP/2 server connection that has
 * active streams, the connection is not failed with {@code ReadTimeoutException} nor closed.
 *
 * <p>Why: a read timeout meant for dead peers also fires on a live connection whose client simply has nothing to send
 * while the server streams, or works on, a response (seed 003, netty#12660). Held back, the check comes again one
 * timeout later; once no stream is active, the timeout acts as before.
 *
 * <p>Runs once per timeout period, never per frame; finding the HTTP/2 handler walks the pipeline.
 */
public final class ReadTimedOutAdvice {

    private ReadTimedOutAdvice() {
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
