package dev.h2patch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.netty.NettyEndStreamFix;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.Collections;
import java.util.List;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.Handle;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import org.junit.jupiter.api.Test;

/** Rules every fix and advice must follow, checked over the whole registry. */
class FixDeclarationsTest {

    @Test
    void everyFixHasAStableNameAndAtLeastOnePatch() {
        for (Fix fix : Fixes.ALL) {
            assertTrue(Fixes.NAMES.contains(fix.name()), fix + " has an unknown name");
            assertTrue(!fix.patches().isEmpty(), fix + " patches nothing");
        }
    }

    @Test
    void everyAdviceSuppressesItsOwnThrowables() {
        for (Fix fix : Fixes.ALL) {
            for (TypePatch patch : fix.patches()) {
                for (TypePatch.MethodAdvice advice : patch.advice()) {
                    int annotated = 0;
                    for (Method method : advice.adviceClass().getDeclaredMethods()) {
                        Advice.OnMethodEnter enter = method.getAnnotation(Advice.OnMethodEnter.class);
                        Advice.OnMethodExit exit = method.getAnnotation(Advice.OnMethodExit.class);
                        if (enter != null) {
                            assertEquals(Throwable.class, enter.suppress(), method + " must suppress Throwable");
                            annotated++;
                        }
                        if (exit != null) {
                            assertEquals(Throwable.class, exit.suppress(), method + " must suppress Throwable");
                            annotated++;
                        }
                    }
                    assertTrue(annotated > 0, advice.adviceClass() + " has no advice method");
                }
            }
        }
    }

    @Test
    void adviceUsesNoInvokedynamicBecauseItIsInlinedIntoOtherClasses() throws IOException {
        for (Fix fix : Fixes.ALL) {
            for (TypePatch patch : fix.patches()) {
                for (TypePatch.MethodAdvice advice : patch.advice()) {
                    Class<?> type = advice.adviceClass();
                    try (InputStream in = type.getResourceAsStream(type.getSimpleName() + ".class")) {
                        assertNotNull(in);
                        boolean[] found = {false};
                        new ClassReader(in).accept(new ClassVisitor(Opcodes.ASM9) {
                            @Override
                            public MethodVisitor visitMethod(int access, String name, String descriptor,
                                                             String signature, String[] exceptions) {
                                return new MethodVisitor(Opcodes.ASM9) {
                                    @Override
                                    public void visitInvokeDynamicInsn(String n, String d, Handle h, Object... a) {
                                        found[0] = true;
                                    }
                                };
                            }
                        }, 0);
                        assertTrue(!found[0], type + " uses invokedynamic (a lambda or string concatenation)");
                    }
                }
            }
        }
    }

    @Test
    void theNettyFixFitsTheNettyItIsCompiledAgainst() {
        assertNull(Compatibility.findMissing(new NettyEndStreamFix(), Relocation.NONE,
                getClass().getClassLoader()));
        assertNull(Compatibility.findMissing(new dev.h2patch.netty.NettyProxySafeResetFix(), Relocation.NONE,
                getClass().getClassLoader()));
        assertNull(Compatibility.findMissing(new dev.h2patch.netty.NettyConnectionStateFix(), Relocation.NONE,
                getClass().getClassLoader()));
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
            public List<TypePatch> patches() {
                return Collections.singletonList(TypePatch.type("io.netty.handler.codec.http2.DefaultHttp2FrameWriter")
                        .advise(Object.class, "writeData", "int"));
            }
        };
        String missing = Compatibility.findMissing(misfit, Relocation.NONE, getClass().getClassLoader());
        assertEquals("io.netty.handler.codec.http2.DefaultHttp2FrameWriter has no method writeData(int)", missing);
        assertEquals("no class io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2FrameWriter",
                Compatibility.findMissing(misfit, NettyFixesAccess.GRPC, getClass().getClassLoader()));
    }

    /** The grpc relocation, as the Netty fixes declare it. */
    static final class NettyFixesAccess {
        static final Relocation GRPC = new NettyEndStreamFix().relocations().get(0);
    }
}
