package dev.h2patch.undertow;

import dev.h2patch.bootstrap.undertow.UndertowEarlySettings;
import io.undertow.protocols.http2.Http2Channel;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into Undertow's {@code AbstractFramedChannel.resumeReceives()} (public, synchronized): Undertow calls it
 * once on a server's new HTTP/2 channel, right after the constructor and the receive listener
 * ({@code HttpReadListener.doHttp2PriRead} for prior knowledge, {@code Http2OpenListener.handleEvent} for ALPN,
 * {@code Http2UpgradeHandler} for an h2c upgrade), before any frame of the client is read. On an {@code Http2Channel}
 * that is not a client's, {@link UndertowEarlySettings#sendIfLazy} sends the channel's own SETTINGS now if they have
 * not gone out yet (an upgrade already sent them; then nothing changes). Other framed channels (AJP, WebSockets) and
 * later calls pay one {@code instanceof} and, on HTTP/2, a field read.
 */
public final class ResumeReceivesAdvice {

    private ResumeReceivesAdvice() {
    }

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void onEnter(@Advice.This Object self) throws Exception {
        if (self instanceof Http2Channel) {
            UndertowEarlySettings.sendIfLazy(self, ((Http2Channel) self).isClient());
        }
    }
}
