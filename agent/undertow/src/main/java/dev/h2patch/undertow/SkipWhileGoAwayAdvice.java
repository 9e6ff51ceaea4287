package dev.h2patch.undertow;

import dev.h2patch.bootstrap.undertow.UndertowGoAway;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into Undertow's {@code Http2StreamSinkChannel.rstStream()} and {@code
 * AbstractHttp2StreamSourceChannel.rstStream()} (package-private, no frame sent: they break the stream's channels
 * locally). Skipped while this thread handles a client's GOAWAY(NO_ERROR) with streams kept ({@link GoAwayFrameAdvice}):
 * Undertow's GOAWAY case calls them for every stream. Any other call (a RST_STREAM from the client, an error) runs
 * as written; it pays one thread-local read.
 */
public final class SkipWhileGoAwayAdvice {

    private SkipWhileGoAwayAdvice() {
    }

    /** Returns true to skip the method. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter() {
        return UndertowGoAway.handlingAny();
    }
}
