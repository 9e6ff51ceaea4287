package dev.h2patch.netty;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.EarlySettings;
import dev.h2patch.bootstrap.H2patchRuntime;
import dev.h2patch.bootstrap.Http2Frames;
import dev.h2patch.bootstrap.SnifferEvidence;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundBuffer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import java.util.Map;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into {@code DefaultChannelPipeline.HeadContext.userEventTriggered(ctx, event)}: the per-connection half of
 * the early-settings fix for a port sniffer. {@link HeadContextChannelReadAdvice} finds, on every read, the one read
 * of a server connection that began with the HTTP/2 client preface, and hands it here once that read was handled, as
 * the event {@link EarlySettings#NETTY_CLIENT_PREFACE_READ}, which this advice swallows; every other event goes on as
 * before. (The decision is not inlined into {@code channelRead} itself: it would grow that per-read method past what
 * C2 inlines; see {@link EarlySettings#NETTY_CLIENT_PREFACE_READ}.)
 *
 * <p><b>The deadlock.</b> A sniffer that routes HTTP/1, HTTP/2 and gRPC on one port by looking at the client's first
 * HEADERS (Go's cmux without {@code MatchWithWriters}) installs Netty's HTTP/2 codec only after that HEADERS arrived.
 * grpc-go ≥ 1.18 (grpc-go#2406) sends no HEADERS before it has received the server's SETTINGS: both wait, and the
 * client fails with "timed out waiting for server handshake". RFC 9113 §3.4 lets the server send its preface as soon
 * as the connection is open, so the advice speaks for the server: when a read that starts with the full 24-byte client
 * preface has been handled and the server connection still has no {@link Http2ConnectionHandler} and nothing waiting
 * to be written, it writes an empty SETTINGS frame (length 0, type 4, flags 0, stream 0) straight to the transport
 * (through the head of the pipeline, so no application handler sees it) and flushes it. An empty SETTINGS frame is a
 * valid server preface that changes no setting: every value stays at its RFC default until Netty's own SETTINGS, sent
 * when the sniffer installs the codec, say otherwise.
 *
 * <p><b>Only for a sniffer of this process.</b> The same bytes also pass the head of a relay (a frontend that writes
 * them to a backend connection: Netty's HexDumpProxy pattern), which has no HTTP/2 codec either; there the frame
 * would be a second server preface in front of the backend's own, and the backend would receive an ACK for SETTINGS
 * it never sent (nghttp2, in Node's http2, fails the connection: RFC 9113 §6.5.3). So the frame is written only with
 * evidence that this process itself is deciding the protocol ({@link SnifferEvidence}): a handler of the pipeline
 * still keeps the client preface in a buffer field of its own (a {@code ByteToMessageDecoder}'s cumulation, a
 * sniffer's own buffer), readable from its start, in a class loader that sees this very {@link
 * Http2ConnectionHandler}; and no handler refers to another connection (a relay's backend channel). Bytes that were
 * passed on are never held, so a relay that forwards them is left alone; option {@code early-settings-sniffers=off}
 * turns this part off.
 *
 * <p><b>The ACK accounting.</b> The client acknowledges the empty frame like any other; that ACK, replayed by the
 * sniffer, reaches Netty's decoder before the ACK of Netty's own SETTINGS. The connection is marked in
 * {@link EarlySettings} so that {@link FrameReadListenerSettingsAckAdvice} takes that first ACK away from Netty:
 * Netty's settings are applied on the client's second ACK, the one that really confirms them.
 *
 * <p><b>Cost.</b> Other events cost one reference compare. The pipeline walk, the allocation of 9 bytes and the mark
 * happen only for a connection that really is held by a sniffer. Nothing here blocks. Should the advice itself fail,
 * the hand-off event is swallowed all the same ({@code skipOn} its default value): it never reaches an application
 * handler.
 *
 * <p>The advice reads Netty's buffers and pipeline and writes the frame; what the bytes are ({@link Http2Frames}) and
 * what counts as evidence ({@link SnifferEvidence}) are decided by the helpers.
 */
public final class HeadContextEarlySettingsAdvice {

    private HeadContextEarlySettingsAdvice() {
    }

    /** Returns false (the event is swallowed) for the hand-off event, true for every other event. */
    @Advice.OnMethodEnter(skipOn = Advice.OnDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter(@Advice.Argument(0) ChannelHandlerContext head, @Advice.Argument(1) Object event) {
        if (event != EarlySettings.NETTY_CLIENT_PREFACE_READ) {
            return true;
        }
        Channel channel = head.channel();
        if (!channel.isActive() || !channel.eventLoop().inEventLoop()) {
            return false; // closed, or the read was only queued to the event loop and has not been handled yet
        }
        ChannelPipeline pipeline = head.pipeline();
        if (pipeline.get(Http2ConnectionHandler.class) != null) {
            return false; // Netty's codec is there: it sends (and accounts for) its own SETTINGS
        }
        ChannelOutboundBuffer pending = channel.unsafe().outboundBuffer();
        if (pending == null || pending.totalPendingWriteBytes() != 0) {
            return false; // the application is writing something itself: it is not waiting for the client
        }
        if (EarlySettings.isMarked(channel) || !H2patchRuntime.earlySettingsSniffers) {
            return false;
        }
        // Evidence that this process holds the preface undecided (see the class comment and SnifferEvidence).
        boolean held = false;
        Object parent = channel.parent();
        for (Map.Entry<String, ChannelHandler> entry : pipeline) {
            ChannelHandler handler = entry.getValue();
            if (SnifferEvidence.refersToOther(handler, Channel.class, channel, parent)) {
                return false; // a relay: its backend connection is not ours to speak for
            }
            if (held || !SnifferEvidence.canSee(handler.getClass(), Http2ConnectionHandler.class)) {
                continue;
            }
            for (Object value : SnifferEvidence.values(handler, ByteBuf.class)) {
                ByteBuf kept = (ByteBuf) value;
                int from = kept.readerIndex();
                if (SnifferEvidence.couldHoldPreface(kept.refCnt(), kept.isReadOnly(), kept.writerIndex() - from)
                        && Http2Frames.isClientPreface(kept.getLong(from), kept.getLong(from + 8),
                                kept.getLong(from + 16))) {
                    held = true;
                    break;
                }
            }
        }
        if (!held) {
            return false; // passed on, consumed, or kept where the fix cannot see it: not ours to answer
        }
        if (H2patchRuntime.reportsOnly(Counters.EARLY_SETTINGS_WOULD_SEND)) {
            return false;
        }
        byte[] frame = Http2Frames.emptySettingsFrame();
        ByteBuf settings = channel.alloc().buffer(frame.length).writeBytes(frame);
        EarlySettings.mark(channel);
        ChannelHandlerContext first = pipeline.firstContext();
        if (first != null) {
            first.writeAndFlush(settings);
        } else {
            channel.writeAndFlush(settings);
        }
        Counters.increment(Counters.EARLY_SETTINGS_SENT);
        return false;
    }
}
