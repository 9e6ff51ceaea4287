package dev.h2patch.undertow;

import dev.h2patch.bootstrap.undertow.UndertowShutdown;
import io.undertow.protocols.http2.Http2Channel;
import java.util.List;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into Undertow's {@code GracefulShutdownHandler.shutdown()}, which otherwise only makes the handler answer 503
 * to new requests: every open server HTTP/2 connection is sent GOAWAY(NO_ERROR) now ({@link UndertowShutdown#shutdown});
 * the idle ones through Undertow's own {@code sendGoAway(NO_ERROR)}, which closes them once it is flushed.
 */
public final class GracefulShutdownAdvice {

    private GracefulShutdownAdvice() {
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void onExit() throws Exception {
        List<Object> idle = UndertowShutdown.shutdown();
        for (int i = 0; i < idle.size(); i++) {
            ((Http2Channel) idle.get(i)).sendGoAway(Http2Channel.ERROR_NO_ERROR);
        }
    }
}
