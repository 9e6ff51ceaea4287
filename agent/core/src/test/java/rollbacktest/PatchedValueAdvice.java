package rollbacktest;

import net.bytebuddy.asm.Advice;

/** Makes value() return "patched". */
public final class PatchedValueAdvice {
    private PatchedValueAdvice() {
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void exit(@Advice.Return(readOnly = false) String value) {
        value = "patched";
    }
}
