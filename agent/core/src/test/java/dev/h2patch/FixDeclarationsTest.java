package dev.h2patch;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
        Fix misfit = new Fix() {
            @Override
            public String name() {
                return Fixes.END_STREAM;
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
                return Collections.singletonList(TypePatch.type("io.netty.handler.codec.http2.DefaultHttp2FrameWriter")
                        .advise(Object.class, "writeData", "int"));
            }
        };
        String missing = Compatibility.findMissing(misfit, Relocation.NONE, getClass().getClassLoader());
        assertEquals("io.netty.handler.codec.http2.DefaultHttp2FrameWriter has no method writeData(int)", missing);
        assertEquals("no class io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2FrameWriter",
                Compatibility.findMissing(misfit, GRPC, getClass().getClassLoader()));
    }
}
