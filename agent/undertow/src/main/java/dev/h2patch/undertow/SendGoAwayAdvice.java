package dev.h2patch.undertow;

import dev.h2patch.bootstrap.undertow.UndertowGoAway;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into Undertow's {@code Http2Channel.sendGoAway(int, ChannelExceptionHandler)} (the one-argument overload
 * calls it), which sends GOAWAY and closes the connection once it is flushed. Skipped while this thread handles a
 * client's GOAWAY(NO_ERROR) with streams kept on this channel ({@link GoAwayFrameAdvice}): the connection stays open
 * for its streams, and {@link StreamRemovedAdvice} calls it when the last one ends.
 */
public final class SendGoAwayAdvice {

    private SendGoAwayAdvice() {
    }

    /** Returns true to skip the method. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter(@Advice.This Object self) {
        return UndertowGoAway.handling(self);
    }
}
