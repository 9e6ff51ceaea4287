package dev.h2patch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fit check's message for a fix that does not fit (each fix module's own test checks that its fixes fit). */
class FixDeclarationsTest {

    private static final Relocation GRPC =
            Relocation.of("io.netty.", "io.grpc.netty.shaded.io.netty.", "grpc-netty-shaded");

    @Test
    void theCoreRegistersNoFixOfItsOwn() {
        assertEquals(Collections.emptyList(), Fixes.load(getClass().getClassLoader()),
                "fixes belong to the fix modules, found by ServiceLoader");
    }

    @Test
    void aFixThatDoesNotFitSaysWhatIsMissing() {
        Fix misfit = fixPatching(Collections.singletonList(
                TypePatch.type("io.netty.handler.codec.http2.DefaultHttp2FrameWriter")
                        .advise(Object.class, "writeData", "int")));
        String missing = Compatibility.findMissing(misfit, Relocation.NONE, getClass().getClassLoader());
        assertEquals("io.netty.handler.codec.http2.DefaultHttp2FrameWriter has no method writeData(int)", missing);
        assertEquals("no class io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2FrameWriter",
                Compatibility.findMissing(misfit, GRPC, getClass().getClassLoader()));
    }

    @Test
    void anOptionalTypeTheLoaderLacksIsLeftOutButOneItHasMustFit() {
        Fix withOptional = fixPatching(Arrays.asList(
                TypePatch.type("io.netty.handler.codec.http2.DefaultHttp2FrameWriter")
                        .advise(Object.class, "writeRstStream", "io.netty.channel.ChannelHandlerContext", "int",
                                "long", "io.netty.channel.ChannelPromise"),
                TypePatch.optionalType("com.example.absent.ServletPart").advise(Object.class, "close")));
        assertNull(Compatibility.findMissing(withOptional, Relocation.NONE, getClass().getClassLoader()),
                "the optional part is absent here: the fix fits without it");
        Fix presentButWrong = fixPatching(Collections.singletonList(
                TypePatch.optionalType("io.netty.handler.codec.http2.DefaultHttp2FrameWriter")
                        .advise(Object.class, "writeData", "int")));
        assertEquals("io.netty.handler.codec.http2.DefaultHttp2FrameWriter has no method writeData(int)",
                Compatibility.findMissing(presentButWrong, Relocation.NONE, getClass().getClassLoader()),
                "an optional type that is there fits as any other, or the fix does not");
    }

    private static Fix fixPatching(final List<TypePatch> patches) {
        return new Fix() {
            @Override
            public String name() {
                return Fixes.PROXY_SAFE_RESET;
            }

            @Override
            public String library() {
                return "Netty";
            }

            @Override
            public List<VersionRange> versions() {
                return Collections.singletonList(VersionRange.of("4.1", "4.3"));
            }

            @Override
            public List<TypePatch> patches() {
                return patches;
            }
        };
    }
}
