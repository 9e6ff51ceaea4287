package dev.h2patch.netty;

import static dev.h2patch.netty.NettyFixes.CONTEXT;
import static dev.h2patch.netty.NettyFixes.HTTP2;

import dev.h2patch.FixNames;
import dev.h2patch.TypePatch;
import java.util.Arrays;
import java.util.List;

/**
 * early-settings for Netty, the port-sniffer part: a server connection that received the HTTP/2 client preface gets
 * the server's SETTINGS at once, even while an in-process sniffer still holds it.
 *
 * <p>grpc-go ≥ 1.18 (grpc-go#2406) waits for the server's SETTINGS before it sends any request; RFC 9113 §3.4 lets a
 * server send them as soon as the connection opens. A sniffer that waits for the client's first HEADERS before it
 * installs the HTTP/2 codec (Go's cmux without {@code MatchWithWriters}) deadlocks with it: "timed out waiting for
 * server handshake". Two pieces:
 * <ul>
 *   <li>{@link HeadContextChannelReadAdvice} and {@link HeadContextEarlySettingsAdvice}: when a read starting with
 *       the client preface leaves a server connection without an HTTP/2 codec and with nothing to write, an empty
 *       SETTINGS frame is sent, as cmux's {@code MatchWithWriters} does (the first finds that read on every read,
 *       the second decides once per connection);</li>
 *   <li>{@link FrameReadListenerSettingsAckAdvice}: the client's ACK of that frame is kept from Netty's codec once the
 *       sniffer installs it, so Netty applies its real settings on the ACK that confirms them.</li>
 * </ul>
 * These methods exist with these signatures from Netty 4.1.50 through 4.1.140 and in 4.2. The other part of the fix,
 * Netty's own preface flushed as soon as it is written, is {@link NettyPrefaceFlushFix}: its method exists only in the
 * versions that need it.
 */
public final class NettyEarlySettingsFix extends NettyFix {

    @Override
    public String name() {
        return FixNames.EARLY_SETTINGS;
    }

    @Override
    public List<TypePatch> patches() {
        return Arrays.asList(
                TypePatch.type("io.netty.channel.DefaultChannelPipeline$HeadContext")
                        .advise(HeadContextChannelReadAdvice.class, "channelRead", CONTEXT, "java.lang.Object")
                        .advise(HeadContextEarlySettingsAdvice.class, "userEventTriggered", CONTEXT, "java.lang.Object"),
                TypePatch.type(HTTP2 + "DefaultHttp2ConnectionDecoder$FrameReadListener")
                        .advise(FrameReadListenerSettingsAckAdvice.class, "onSettingsAckRead", CONTEXT));
    }
}
