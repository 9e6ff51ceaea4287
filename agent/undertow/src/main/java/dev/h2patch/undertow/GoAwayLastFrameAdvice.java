package dev.h2patch.undertow;

import dev.h2patch.bootstrap.undertow.UndertowShutdown;
import io.undertow.server.protocol.framed.AbstractFramedStreamSinkChannel;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into Undertow's {@code Http2GoAwayStreamSinkChannel.isLastFrame()} (always true: once Undertow has flushed
 * its GOAWAY it shuts the socket's write side). For the GOAWAY a graceful shutdown sends on a connection with streams
 * in flight ({@link UndertowShutdown#keepsConnectionOpen}) it answers false, so the streams can still be written; the
 * connection is closed when the last one ends.
 */
public final class GoAwayLastFrameAdvice {

    private GoAwayLastFrameAdvice() {
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void onExit(@Advice.This Object self, @Advice.Return(readOnly = false) boolean last) {
        if (last && UndertowShutdown.keepsConnectionOpen(((AbstractFramedStreamSinkChannel<?, ?, ?>) self).getChannel())) {
            last = false;
        }
    }
}
