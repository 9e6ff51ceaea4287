package dev.h2patch.netty;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.Fix;
import dev.h2patch.TypePatch;
import dev.h2patch.WovenCodeSizes;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The methods Netty calls for every read and every DATA frame, on connections that need no fix, stay small enough
 * with the advice in them for C2 to inline them where it does without the agent: below {@code FreqInlineSize}.
 * Pushed past it, "hot method too big" in {@code -XX:+PrintInlining}, every read pays a call it did not pay before
 * (docs/libraries/netty.md, "The inlining budget").
 */
class NettyNoChangePathTest {

    private static final ClassLoader NETTY = NettyNoChangePathTest.class.getClassLoader();

    @Test
    void theHeadOfEveryPipelineStaysInlinable() throws Exception {
        assertInlinable(new NettyEarlySettingsFix(), "io.netty.channel.DefaultChannelPipeline$HeadContext",
                "channelRead(Lio/netty/channel/ChannelHandlerContext;Ljava/lang/Object;)V");
    }

    @Test
    void theEncodersDataWriteStaysInlinable() throws Exception {
        assertInlinable(new NettyEndStreamFix(), "io.netty.handler.codec.http2.DefaultHttp2ConnectionEncoder",
                "writeData(Lio/netty/channel/ChannelHandlerContext;ILio/netty/buffer/ByteBuf;IZ"
                        + "Lio/netty/channel/ChannelPromise;)Lio/netty/channel/ChannelFuture;");
    }

    @Test
    void theFrameCodecsDataReadStaysInlinable() throws Exception {
        assertInlinable(new NettyProxySafeResetFix(), "io.netty.handler.codec.http2.Http2FrameCodec$FrameListener",
                "onDataRead(Lio/netty/channel/ChannelHandlerContext;ILio/netty/buffer/ByteBuf;IZ)I");
    }

    private static void assertInlinable(Fix fix, String typeName, String method) throws Exception {
        Integer before = WovenCodeSizes.original(typeName, NETTY).get(method);
        assertNotNull(before, typeName + "." + method + " not found");
        assertTrue(before <= WovenCodeSizes.FREQ_INLINE_SIZE, "inlinable without the agent: " + before + " bytes");
        Integer after = null;
        for (TypePatch patch : fix.patches()) {
            if (patch.typeName().equals(typeName)) {
                Map<String, Integer> woven = WovenCodeSizes.woven(fix, patch, NETTY);
                after = woven.get(method);
            }
        }
        assertNotNull(after, fix.name() + " does not advise " + typeName);
        assertTrue(after > before, fix.name() + " advises " + method);
        assertTrue(after <= WovenCodeSizes.FREQ_INLINE_SIZE, typeName + "." + method + ": " + before + " bytes without"
                + " the agent, " + after + " with " + fix.name() + "'s advice, over C2's FreqInlineSize ("
                + WovenCodeSizes.FREQ_INLINE_SIZE + ")");
    }
}
