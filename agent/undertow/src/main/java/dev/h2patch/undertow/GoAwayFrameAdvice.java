package dev.h2patch.undertow;

import dev.h2patch.bootstrap.undertow.UndertowGoAway;
import io.undertow.protocols.http2.Http2Channel;
import io.undertow.protocols.http2.Http2GoAwayParser;
import java.util.Map;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into Undertow's {@code Http2Channel.createChannelImpl(FrameHeaderData, PooledByteBuffer)}, which handles
 * every frame read; its GOAWAY case resets every stream, then sends GOAWAY and closes. On a server connection with
 * streams in flight ({@code currentStreams}), a GOAWAY with error code NO_ERROR marks this thread
 * ({@link UndertowGoAway#goAwayKeepingStreams}) for the time Undertow handles the frame, so that the advice on
 * {@code rstStream()} and {@code sendGoAway} skip them; Undertow still sets {@code peerGoneAway}. The mark goes on
 * exit, however the method ends. Other frames pay one reflective field read (the frame type).
 */
public final class GoAwayFrameAdvice {

    private GoAwayFrameAdvice() {
    }

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static boolean onEnter(@Advice.This Object self,
                           @Advice.Argument(0) Object frameHeader,
                           @Advice.FieldValue("currentStreams") Object streams) throws Exception {
        Object parser = UndertowGoAway.goAwayParser(frameHeader);
        if (parser == null) {
            return false;
        }
        return UndertowGoAway.goAwayKeepingStreams(self, ((Http2Channel) self).isClient(),
                ((Http2GoAwayParser) parser).getStatusCode(), ((Map<?, ?>) streams).size());
    }

    @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
    static void onExit(@Advice.Enter boolean marked) {
        if (marked) {
            UndertowGoAway.handled();
        }
    }
}
