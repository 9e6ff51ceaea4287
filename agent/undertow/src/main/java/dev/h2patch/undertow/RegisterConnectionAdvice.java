package dev.h2patch.undertow;

import dev.h2patch.bootstrap.undertow.UndertowShutdown;
import io.undertow.protocols.http2.Http2Channel;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into Undertow's {@code AbstractFramedChannel.resumeReceives()}, which Undertow calls once on each server
 * HTTP/2 channel it opens (prior knowledge, ALPN, upgrade), right after building it: the connection is remembered,
 * weakly, so that a graceful shutdown can send it GOAWAY ({@link UndertowShutdown}).
 */
public final class RegisterConnectionAdvice {

    private RegisterConnectionAdvice() {
    }

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void onEnter(@Advice.This Object self) {
        if (self instanceof Http2Channel) {
            UndertowShutdown.register(self, ((Http2Channel) self).isClient());
        }
    }
}
