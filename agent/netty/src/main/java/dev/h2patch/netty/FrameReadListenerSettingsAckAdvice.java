package dev.h2patch.netty;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.EarlySettings;
import io.netty.channel.ChannelHandlerContext;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into {@code DefaultHttp2ConnectionDecoder.FrameReadListener.onSettingsAckRead(ctx)}, where Netty applies
 * the oldest SETTINGS it sent ({@code encoder.pollSentSettings()}) when the client acknowledges one.
 *
 * <p>When {@link PipelineFireChannelReadAdvice} sent an empty SETTINGS frame before Netty's codec existed on the
 * connection, the client's first SETTINGS ACK acknowledges that frame (ACKs come in the order the SETTINGS were sent,
 * RFC 9113 §6.5.3). Handed to Netty, it would apply Netty's real settings one ACK early — before the client has
 * actually seen them — and the client's second ACK would find nothing to confirm. The advice skips the method for that
 * one ACK (it is not passed to the application either: it confirms nothing the application sent). Every other ACK,
 * and every ACK of a connection the fix never spoke for, goes to Netty unchanged; while no connection is marked the
 * check is a single volatile read.
 */
public final class FrameReadListenerSettingsAckAdvice {

    private FrameReadListenerSettingsAckAdvice() {
    }

    /** Returns true to skip the method: the ACK confirms the fix's own empty SETTINGS. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter(@Advice.Argument(0) ChannelHandlerContext ctx) {
        if (!EarlySettings.anyPending() || !EarlySettings.takeAck(ctx.channel())) {
            return false;
        }
        Counters.increment(Counters.EARLY_SETTINGS_ACK_ABSORBED);
        return true;
    }
}
