package dev.h2patch.undertow;

import dev.h2patch.bootstrap.undertow.UndertowGoAway;
import io.undertow.protocols.http2.Http2Channel;
import java.util.Map;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into Undertow's {@code Http2Channel.removeStreamSink(int)} and {@code removeStreamSource(int)}, through
 * which every stream's end passes (a stream leaves {@code currentStreams} when both sides are closed). On a connection
 * whose client went away gracefully with streams kept ({@link GoAwayFrameAdvice}), the end of the last stream sends
 * Undertow's own {@code sendGoAway(NO_ERROR)}: its GOAWAY answers the client's, and the connection closes once it is
 * flushed, as Undertow closed it at once before. On a connection drained by a graceful shutdown (its GOAWAY already
 * sent, {@code GracefulShutdownAdvice}), the end of the last stream closes it. Other connections pay one volatile
 * read.
 */
public final class StreamRemovedAdvice {

    private StreamRemovedAdvice() {
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void onExit(@Advice.This Object self, @Advice.FieldValue("currentStreams") Object streams)
            throws Exception {
        if (UndertowGoAway.closesNow(self, ((Map<?, ?>) streams).size())) {
            Http2Channel channel = (Http2Channel) self;
            if (channel.isThisGoneAway()) {
                channel.close(); // a graceful shutdown's drain: its GOAWAY went out first
            } else {
                channel.sendGoAway(Http2Channel.ERROR_NO_ERROR); // after a client's GOAWAY: answer it, then close
            }
        }
    }
}
