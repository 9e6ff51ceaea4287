package dev.h2patch.netty;

import dev.h2patch.bootstrap.IdleDeferral;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into {@code IdleStateHandler.channelIdle(ctx, IdleStateEvent)} (protected; called by the handler's timer
 * tasks, which have already re-armed themselves) and into {@code ReadTimeoutHandler.channelIdle(ctx, evt)} (final; it
 * calls {@code readTimedOut}, which fails and closes the connection): on an HTTP/2 server connection that is doing
 * work, a reader-idle or all-idle event (or the read timeout) is not delivered.
 *
 * <p>Why: {@code IdleStateHandler} counts only the bytes passing its position in the pipeline and never looks at the
 * streams (netty#12660), so the usual pattern — a handler that closes the channel on {@code IdleStateEvent}, or a
 * {@code ReadTimeoutHandler} — cuts a server-streaming response to a client that has nothing to send
 * (docs/fixes/connection-state.md, "The bug" and "Idle, before and after").
 *
 * <p>What is held back, decided by {@link IdleDeferral} from plain values read here: READER_IDLE and ALL_IDLE events
 * and read timeouts, only while streams are active and HEADERS or DATA moved since the handler's previous event, and
 * in total at most {@code idle-defer-max-ms} per handler. WRITER_IDLE is never touched: applications send their
 * keepalive PINGs from it. A held-back event comes again one period later (the timers have re-armed), so a connection
 * where nothing moves gets its event at most one period late.
 *
 * <p>The progress fingerprint: active stream count; the last stream ids each side created (a HEADERS frame that opens
 * a stream moves them); the connection's send window (DATA we send shrinks it; WINDOW_UPDATE from the peer grows it,
 * and a reader-idle event means the peer sent nothing for a period) and receive window (DATA we receive shrinks it);
 * the newest client stream's state, whether its headers and trailers were sent, and its own send window. A HEADERS
 * frame alone on an older stream that neither opens nor ends it is not seen (docs/fixes/connection-state.md).
 *
 * <p>Runs once per idle period, never per frame; finding the HTTP/2 handler walks the pipeline, which is fine at
 * that rate. Not covered: Reactor Netty's {@code IdleTimeoutHandler} and Vert.x's {@code handleIdle}, which do not go
 * through this method.
 */
public final class IdleStateChannelIdleAdvice {

    private IdleStateChannelIdleAdvice() {
    }

    /** Returns true to skip the method: the event is held back. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter(@Advice.This IdleStateHandler self, @Advice.Argument(0) ChannelHandlerContext ctx,
                           @Advice.Argument(1) IdleStateEvent event) {
        IdleState state = event.state();
        long period = IdleDeferral.periodOf(state == IdleState.READER_IDLE, state == IdleState.ALL_IDLE,
                self.getReaderIdleTimeInMillis(), self.getAllIdleTimeInMillis());
        if (period == IdleDeferral.NEVER) {
            return false; // WRITER_IDLE: keepalives are never held back
        }
        Http2ConnectionHandler http2 = ctx.pipeline().get(Http2ConnectionHandler.class);
        if (http2 == null) {
            return false;
        }
        Http2Connection connection = http2.connection();
        int active = connection.numActiveStreams();
        if (!connection.isServer() || active == 0) {
            return false;
        }
        Http2Stream connectionStream = connection.connectionStream();
        int newestId = connection.remote().lastStreamCreated();
        Http2Stream newest = newestId > 0 ? connection.stream(newestId) : null;
        long[] progress = {
            active,
            newestId,
            connection.local().lastStreamCreated(),
            connection.remote().flowController().windowSize(connectionStream),
            connection.local().flowController().windowSize(connectionStream),
            newest == null ? -1 : newest.state().ordinal(),
            newest == null ? -1 : (newest.isHeadersSent() ? 1 : 0) + (newest.isTrailersSent() ? 2 : 0),
            newest == null ? -1 : connection.remote().flowController().windowSize(newest),
        };
        return IdleDeferral.holdBack(self, period, active, progress);
    }
}
