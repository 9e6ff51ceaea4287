package dev.h2patch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.netty.EncoderWriteHeadersAdvice;
import java.nio.charset.StandardCharsets;
import net.bytebuddy.dynamic.ClassFileLocator;
import org.junit.jupiter.api.Test;

class RelocationTest {

    private static final Relocation GRPC =
            Relocation.of("io.netty.", "io.grpc.netty.shaded.io.netty.", "grpc-netty-shaded");

    @Test
    void rewritesOnlyNamesUnderThePrefix() {
        assertEquals("io.grpc.netty.shaded.io.netty.channel.Channel", GRPC.apply("io.netty.channel.Channel"));
        assertEquals("io/grpc/netty/shaded/io/netty/channel/Channel", GRPC.applyInternal("io/netty/channel/Channel"));
        assertEquals("io.nettyx.Foo", GRPC.apply("io.nettyx.Foo"));
        assertEquals("int", GRPC.apply("int"));
        assertEquals("io.netty.channel.Channel", Relocation.NONE.apply("io.netty.channel.Channel"));
    }

    @Test
    void adviceBytecodeIsRetargetedAtTheShadedPackage() throws Exception {
        RelocatingClassFileLocator locator = new RelocatingClassFileLocator(getClass().getClassLoader(), GRPC);
        ClassFileLocator.Resolution resolution = locator.locate(EncoderWriteHeadersAdvice.class.getName());
        assertTrue(resolution.isResolved());
        String constants = new String(resolution.resolve(), StandardCharsets.ISO_8859_1);
        assertTrue(constants.contains("io/grpc/netty/shaded/io/netty/handler/codec/http2/Http2Connection"));
        assertFalse(constants.replace("io/grpc/netty/shaded/io/netty/", "").contains("io/netty/"),
                "no reference to plain io.netty may remain");
        assertTrue(constants.contains("dev/h2patch/bootstrap/EndedStreams"), "bootstrap helpers keep their names");
    }

    @Test
    void servesNothingButTheAgentsAdvice() throws Exception {
        RelocatingClassFileLocator locator = new RelocatingClassFileLocator(getClass().getClassLoader(), GRPC);
        assertFalse(locator.locate("io.netty.channel.Channel").isResolved());
        assertFalse(locator.locate("dev.h2patch.bootstrap.Counters").isResolved());
    }
}
