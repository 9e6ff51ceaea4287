package dev.h2patch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.util.List;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.Handle;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import org.junit.jupiter.api.Test;

/**
 * The rules every fix module keeps, checked by each module's own test ({@code class XFixesTest extends
 * FixModuleContract}), on the fixes its {@code META-INF/services/dev.h2patch.Fix} registers and against the library
 * version it is compiled against (its test class path). Shipped in h2patch-core's test-jar.
 */
public abstract class FixModuleContract {

    /**
     * The fixes this module registers, as the agent finds them: those in the test's own package, since a line module
     * may have another fix module on its class path (jetty10 and jetty12 use jetty9's advice shared by every line).
     */
    protected List<Fix> fixes() {
        List<Fix> own = new java.util.ArrayList<Fix>();
        for (Fix fix : Fixes.load(getClass().getClassLoader())) {
            if (fix.getClass().getPackage().equals(getClass().getPackage())) {
                own.add(fix);
            }
        }
        return own;
    }

    /** How many fixes the module registers (a module whose services file is lost registers none). */
    protected abstract int expectedFixCount();

    @Test
    void registersItsFixesForTheAgentToFind() {
        assertEquals(expectedFixCount(), fixes().size(), "fixes registered in META-INF/services/dev.h2patch.Fix");
    }

    @Test
    void everyFixHasAStableNameALibraryVersionsAndAtLeastOnePatch() {
        for (Fix fix : fixes()) {
            assertTrue(Fixes.NAMES.contains(fix.name()), fix + " has an unknown name");
            assertFalse(fix.library().isEmpty(), fix + " names no library");
            assertFalse(fix.versions().isEmpty(), fix + " declares no versions");
            assertFalse(fix.patches().isEmpty(), fix + " patches nothing");
        }
    }

    @Test
    void everyFixFitsTheLibraryItIsCompiledAgainst() {
        for (Fix fix : fixes()) {
            if (fitsCompiledAgainstLibrary(fix)) {
                assertNull(Compatibility.findMissing(fix, Relocation.NONE, getClass().getClassLoader()),
                        fix + " does not fit the library on its module's class path");
            }
        }
    }

    /** A fix written for other releases of the line than the one compiled against says so here. */
    protected boolean fitsCompiledAgainstLibrary(Fix fix) {
        return true;
    }

    @Test
    void everyHelperStoppedOnDetachHasAStopMethod() throws Exception {
        for (Fix fix : fixes()) {
            for (String helper : fix.helpersToStopOnDetach()) {
                assertTrue(helper.startsWith("dev.h2patch.bootstrap."), helper + " is not a bootstrap helper");
                assertNotNull(Class.forName(helper).getMethod("stop"), helper + ".stop()");
            }
        }
    }

    @Test
    void everyAdviceSuppressesItsOwnThrowables() {
        for (Fix fix : fixes()) {
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
        for (Fix fix : fixes()) {
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
                        assertFalse(found[0], type + " uses invokedynamic (a lambda or string concatenation)");
                    }
                }
            }
        }
    }
}
