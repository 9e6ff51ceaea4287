package dev.h2patch.tomcat9;

import dev.h2patch.bootstrap.tomcat.TomcatDeferredResets;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into Tomcat's {@code org.apache.coyote.http2.Stream.receivedEndOfStream()} (the client's END_STREAM, on
 * DATA or trailers, on every line): after Tomcat has handled it, a reset held back for the stream is dropped; nothing
 * is sent (docs/fixes/proxy-safe-reset.md, "Tomcat"). One volatile read when nothing is held.
 */
public final class StreamEndAdvice {

    private StreamEndAdvice() {
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void onExit(@Advice.This Object stream) {
        if (TomcatDeferredResets.anyHeld()) {
            TomcatDeferredResets.onEndOfStream(stream);
        }
    }
}
