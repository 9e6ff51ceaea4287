package dev.h2patch.netty;

import dev.h2patch.bootstrap.ConnectionDrain;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.MultithreadEventExecutorGroup;
import java.util.concurrent.TimeUnit;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into {@code MultithreadEventExecutorGroup.shutdownGracefully(quietPeriod, timeout, unit)}, where every
 * {@code EventLoopGroup.shutdownGracefully()} of Netty 4.1 and 4.2 ends up (the no-argument overload in
 * {@code AbstractEventExecutorGroup} delegates to it).
 *
 * <p>Why: the group's loops close their channels with {@code unsafe().close()}, bypassing the pipeline, so
 * {@code Http2ConnectionHandler} never sends GOAWAY and every in-flight stream is cut; the loops also cancel the
 * scheduled tasks that would have produced the replies (docs/fixes/connection-state.md, "Shutdown, after"; RFC 9113
 * §6.8). When the group serves open HTTP/2 server connections, {@link ConnectionDrain#beforeShutdown} starts draining
 * them on its own thread and the call is skipped: the caller gets the group's {@code terminationFuture()}, which
 * completes as before once the real shutdown, made after the drain and within the caller's timeout, has finished. A
 * group with no such connection (a boss group, a business executor, a server with no open connection) is not
 * touched.
 *
 * <p>Never blocks: neither the caller (possibly an event loop of this very group) nor any loop waits here.
 */
public final class GroupShutdownAdvice {

    private GroupShutdownAdvice() {
    }

    /** Returns true to skip the method: a drain runs first, and makes the real call when done. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter(@Advice.This Object group,
                           @Advice.Argument(0) long quietPeriod,
                           @Advice.Argument(1) long timeout,
                           @Advice.Argument(2) TimeUnit unit) {
        return ConnectionDrain.beforeShutdown(group, quietPeriod, timeout, unit);
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void onExit(@Advice.Enter boolean skipped,
                       @Advice.This MultithreadEventExecutorGroup group,
                       @Advice.Return(readOnly = false) Future<?> returned) {
        if (skipped) {
            returned = group.terminationFuture();
        }
    }
}
