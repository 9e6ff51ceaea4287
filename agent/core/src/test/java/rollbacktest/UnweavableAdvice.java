package rollbacktest;

import net.bytebuddy.asm.Advice;

/** Binds the int argument of Second.value(int) as a String: Byte Buddy refuses to inline it. */
public final class UnweavableAdvice {
    private UnweavableAdvice() {
    }

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void enter(@Advice.Argument(0) String notAnInt) {
    }
}
