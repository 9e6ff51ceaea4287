package dev.h2patch.netty;

import dev.h2patch.bootstrap.EarlySettings;
import dev.h2patch.bootstrap.Http2Frames;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandler;
import io.netty.channel.ServerChannel;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into {@code DefaultChannelPipeline.HeadContext.channelRead(ctx, msg)}: the head of every pipeline, through
 * which every transport (NIO, epoll, kqueue, io_uring, local, embedded) hands received bytes to a channel's first
 * handler ({@code pipeline.fireChannelRead}). It is the one place that sees a connection's raw inbound bytes before
 * any application handler — a port sniffer included — without naming a transport class. (Not
 * {@code DefaultChannelPipeline.fireChannelRead} itself: it has a bridge method of the same name and parameters, and
 * in 4.2 it only queues the read when called off the event loop.)
 *
 * <p>The per-read half of the early-settings fix for a port sniffer: it finds a read of a server connection that
 * starts with the 24-byte HTTP/2 client preface and, once that read was handled (method exit, so that a handler that
 * installs the codec on the preface alone, like Netty's {@code CleartextHttp2ServerUpgradeHandler}, is left alone:
 * its own SETTINGS go out at once, see {@link PrefaceDecoderSendPrefaceAdvice}), hands it to the head's own
 * {@code userEventTriggered}, where {@link HeadContextEarlySettingsAdvice} decides, once per connection, whether the
 * server must speak first and why.
 *
 * <p><b>Cost.</b> The common path is a type check, a length check and one 4-byte compare ({@code "PRI "}) of bytes
 * just read, and a branch at exit; only a read that starts with the client preface goes further, which happens once
 * per HTTP/2 connection (the client preface is the first thing a client sends; a later read never begins with it in
 * practice). Everything else is in the other advice, so that this method stays small enough for C2 to inline it
 * into every read ({@link EarlySettings#NETTY_CLIENT_PREFACE_READ}).
 */
public final class HeadContextChannelReadAdvice {

    private HeadContextChannelReadAdvice() {
    }

    /** Returns true when {@code msg} starts with the HTTP/2 client preface on an accepted (server) connection. */
    @Advice.OnMethodEnter(suppress = Throwable.class)
    static boolean onEnter(@Advice.Argument(0) ChannelHandlerContext head, @Advice.Argument(1) Object msg) {
        if (!(msg instanceof ByteBuf)) {
            return false;
        }
        ByteBuf in = (ByteBuf) msg;
        int at = in.readerIndex();
        if (in.writerIndex() - at < Http2Frames.PREFACE_LENGTH || in.getInt(at) != Http2Frames.PREFACE_HEAD
                || !Http2Frames.isClientPreface(in.getLong(at), in.getLong(at + 8), in.getLong(at + 16))) {
            return false;
        }
        return head.channel().parent() instanceof ServerChannel;
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void onExit(@Advice.Enter boolean clientPreface, @Advice.This ChannelInboundHandler self,
                       @Advice.Argument(0) ChannelHandlerContext head) throws Exception {
        if (clientPreface) {
            self.userEventTriggered(head, EarlySettings.NETTY_CLIENT_PREFACE_READ);
        }
    }
}
