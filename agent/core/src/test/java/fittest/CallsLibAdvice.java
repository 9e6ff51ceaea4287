package fittest;

import net.bytebuddy.asm.Advice;

/** Advice that calls two library methods, reads a library field and a field of the patched type. */
public final class CallsLibAdvice {
    private CallsLibAdvice() {
    }

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void enter(@Advice.FieldValue("lib") Lib lib) {
        lib.gone();
        lib.count += lib.kept();
    }
}
