package dev.h2patch.tomcat9;

import dev.h2patch.bootstrap.tomcat.TomcatDeferredResets;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into Tomcat's {@code org.apache.coyote.http2.Stream.receiveReset(long)} (the client's RST_STREAM, and every
 * stream when Tomcat closes the connection): a reset held back for the stream is dropped. One volatile read when
 * nothing is held.
 */
public final class StreamResetReceivedAdvice {

    private StreamResetReceivedAdvice() {
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void onExit(@Advice.This Object stream) {
        if (TomcatDeferredResets.anyHeld()) {
            TomcatDeferredResets.onClientReset(stream);
        }
    }
}
