package dev.h2patch.netty;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.EarlySettings;
import dev.h2patch.bootstrap.H2patchRuntime;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into {@code Http2ConnectionHandler.PrefaceDecoder.sendPreface(ctx)}, the one method through which Netty
 * writes a connection's preface SETTINGS, whether from {@code channelActive} or from {@code handlerAdded} (the
 * {@code PrefaceDecoder} constructor) when the handler is added to an already-active channel.
 *
 * <p>{@code sendPreface} writes the SETTINGS but never flushes them. Before 4.1.78 (netty#12089) nothing flushes them
 * until the next {@code channelReadComplete}, so a server stays silent until the client writes; in every version the
 * {@code handlerAdded} path (ALPN, h2c upgrade, a port sniffer that installs the codec late) leaves them unflushed too.
 * RFC 9113 §3.4 lets a server send its preface as soon as the connection is open, and grpc-go ≥ 1.18 (grpc-go#2406)
 * sends no request until it has seen it. When this call actually sent the preface of a server connection, the advice
 * flushes it at once. A flush of bytes that are already written changes nothing but their timing.
 *
 * <p>On 4.1.78+ the {@code channelActive} path is flushed by Netty itself right after this method; the extra flush is
 * one no-op call per connection. A handler built with {@code flushPreface(false)} (4.1.78+) is left alone: newer
 * Netty releases, which renamed this method {@code sendPrefaceIfNeeded} and flush in it on both paths, honour that
 * setting too, so the fix makes old versions behave like new ones and no more.
 */
public final class PrefaceDecoderSendPrefaceAdvice {

    private PrefaceDecoderSendPrefaceAdvice() {
    }

    /** Returns whether the preface had been sent before this call. */
    @Advice.OnMethodEnter(suppress = Throwable.class)
    static boolean onEnter(@Advice.FieldValue("prefaceSent") boolean prefaceSent) {
        return prefaceSent;
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void onExit(@Advice.Enter boolean sentBefore,
                       @Advice.FieldValue("prefaceSent") boolean prefaceSent,
                       @Advice.Argument(0) ChannelHandlerContext ctx) {
        if (sentBefore || !prefaceSent) {
            return; // already sent earlier, or not sent now (channel not active yet)
        }
        ChannelHandler handler = ctx.handler();
        if (!(handler instanceof Http2ConnectionHandler)
                || !((Http2ConnectionHandler) handler).connection().isServer()) {
            return; // clients flush their own preface with their first request
        }
        if (!EarlySettings.flushPrefaceWanted(handler)) {
            return; // the application asked Netty not to flush the preface
        }
        if (H2patchRuntime.reportsOnly(Counters.EARLY_SETTINGS_WOULD_FLUSH)) {
            return;
        }
        ctx.flush();
        Counters.increment(Counters.EARLY_SETTINGS_FLUSHED);
    }
}
