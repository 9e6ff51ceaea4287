package dev.h2patch.tomcat9;

import dev.h2patch.bootstrap.tomcat.TomcatDeferredResets;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.implementation.bytecode.assign.Assigner;

/**
 * Inlined into Tomcat's {@code org.apache.coyote.http2.Stream.close(Http2Exception)} ({@code final void}, the same on
 * 9.0, 10.1 and 11.0), through which Tomcat resets a stream: its stream processor calls it with a
 * {@code StreamException} (CANCEL up to 9.0.70, NO_ERROR later) when the servlet has completed the response while the
 * request body is still open. {@link TomcatDeferredResets#onClose} decides: the method runs as asked, runs with a
 * NO_ERROR exception instead, or is skipped (the reset is held back; Tomcat's close runs later, at a bound, or the
 * client's END_STREAM ends the stream without a reset).
 *
 * <p>{@code Stream} and its {@code StreamStateMachine} are package-private: they reach the advice typed
 * {@code Object}. {@code handler} is {@code Stream}'s own field, {@code state} the protected field of its superclass
 * {@code AbstractNonZeroStream}.
 */
public final class StreamCloseAdvice {

    private StreamCloseAdvice() {
    }

    /** Returns true to skip the method: the reset is held back. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter(@Advice.This Object stream,
                           @Advice.FieldValue("handler") Object handler,
                           @Advice.FieldValue("state") Object state,
                           @Advice.Argument(value = 0, readOnly = false, typing = Assigner.Typing.DYNAMIC)
                           Object exception) throws Exception {
        Object outcome = TomcatDeferredResets.onClose(handler, stream, state, exception);
        if (outcome == TomcatDeferredResets.HOLD) {
            return true;
        }
        if (outcome != null) {
            exception = outcome;
        }
        return false;
    }
}
