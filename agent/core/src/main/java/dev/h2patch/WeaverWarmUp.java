package dev.h2patch;

import dev.h2patch.bootstrap.AgentThreads;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.bytebuddy.asm.Advice;

/**
 * Start-up cost (docs/performance.md, "Where the start-up goes"): the first class a fix advises is woven on the thread
 * that loads it, and that first weave loads some 600 classes of Byte Buddy and its ASM and runs their code cold. In a
 * framework that starts for seconds before it loads its HTTP/2 classes (Spring Boot, Vert.x, Armeria), the
 * application's own thread would pay all of that at once.
 *
 * <p>So premain starts one short-lived daemon thread, {@code h2patch-warmup}, as soon as the options are read, before
 * it sets up the log and the installer. The thread first runs the whole weaving path once on a class of the agent's
 * own: the compatibility check ({@link Compatibility#findMissing}) and the weave ({@link AdviceWeaver#weave}) of {@link
 * Target} with {@link WarmUpAdvice}, whose annotations are the ones the fixes use, and throws the woven bytes away (no
 * application class or class loader is touched, nothing is kept). That loads the weaver while premain's own work goes
 * on (starting the thread after the installer left it some 50 ms later, behind an application thread that already
 * waited). Then, once premain hands it the installer ({@link Handle#installerReady}), it weaves ahead the advised
 * classes of the system class loader (a {@code java -jar} or {@code -cp} application; {@link AheadOfLoadWeaver}): an
 * application thread then takes the woven bytes, or waits for the one it needs, instead of weaving them cold itself.
 * Where the library is in a class loader the application creates later (a Spring Boot jar, a servlet container),
 * the warmed weaver is what that loader's first advised class gets.
 *
 * <p>Bound: one thread, once per JVM, ended when its weaves are (its time is in the debug log); it waits at most
 * {@link #HANDOVER_BOUND_MS} for premain's hand-over, which premain makes even when it fails. It logs nothing before
 * that hand-over, so premain sets the log's level first. Not at attach, where the classes to patch are already loaded
 * and are woven at once.
 */
final class WeaverWarmUp {

    /** The longest the thread waits for premain to hand it the installer. */
    static final long HANDOVER_BOUND_MS = 10000;

    private WeaverWarmUp() {
    }

    /** Starts the thread; the caller must then call {@link Handle#installerReady}, with null if it has no installer. */
    static Handle start() {
        final Handle handle = new Handle();
        AgentThreads.newThread(new Runnable() {
            @Override
            public void run() {
                long start = System.nanoTime();
                Throwable failure = null;
                int wovenBytes = 0;
                try {
                    wovenBytes = warmUp();
                } catch (Throwable t) {
                    failure = t;
                }
                long warm = System.nanoTime();
                try {
                    Installer installer = handle.await();
                    if (failure != null) {
                        // Harmless for the application (the first real weave then does the loading), but never silent.
                        Log.warn("could not warm up the weaver (" + failure + "); the first patched class pays for it");
                    }
                    int advised = installer == null ? 0 : installer.weaveAheadAtStart();
                    if (Log.isDebug()) {
                        Log.debug("weaver warmed up in " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)
                                + " ms (" + TimeUnit.NANOSECONDS.toMillis(warm - start) + " ms for the weave of "
                                + wovenBytes + " bytes woven and discarded"
                                + (advised > 0 ? ", then the system class loader's " + advised
                                + " advised class(es) woven ahead)" : ")"));
                    }
                } catch (Throwable t) {
                    Log.warn("the weaver's warm-up thread stopped (" + t + "); the application's threads weave");
                }
            }
        }, "h2patch-warmup").start();
        return handle;
    }

    /** Premain's hand-over of the installer to the warm-up thread. */
    static final class Handle {
        private Installer installer;
        private boolean ready;

        /** The installer whose system class loader classes to weave ahead, or null for none; the log is set up. */
        synchronized void installerReady(Installer installer) {
            if (!ready) {
                this.installer = installer;
                this.ready = true;
                notifyAll();
            }
        }

        private synchronized Installer await() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HANDOVER_BOUND_MS);
            while (!ready) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
            return installer;
        }
    }

    /** The check and the weave of {@link Target}, as for a library class; returns the woven class's size. */
    static int warmUp() throws IOException {
        ClassLoader agent = WeaverWarmUp.class.getClassLoader();
        String typeName = Target.class.getName();
        TypePatch patch = TypePatch.type(typeName).advise(WarmUpAdvice.class, "handle", "java.lang.Object", "int");
        Fix fix = new WarmUpFix(patch);
        String missing = Compatibility.findMissing(fix, Relocation.NONE, agent);
        if (missing != null) {
            throw new IllegalStateException(missing);
        }
        List<AdviceWeaver.Target> targets = Collections.singletonList(
                new AdviceWeaver.Target(fix, Relocation.NONE, patch));
        return AdviceWeaver.weave(typeName, classFile(agent, typeName), agent, targets).length;
    }

    private static byte[] classFile(ClassLoader loader, String typeName) throws IOException {
        InputStream in = loader.getResourceAsStream(typeName.replace('.', '/') + ".class");
        if (in == null) {
            throw new IOException("no class file for " + typeName);
        }
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            for (int n; (n = in.read(buffer)) > 0; ) {
                out.write(buffer, 0, n);
            }
            return out.toByteArray();
        } finally {
            in.close();
        }
    }

    /** What the warm-up weaves into: shaped like the methods the fixes advise (arguments, a result). */
    static final class Target {
        private int handled;

        Object handle(Object message, int length) {
            handled += length;
            return message;
        }
    }

    /** Uses what the fixes' advice uses: skipOn, suppress, arguments, fields, locals, the enter value, the return. */
    static final class WarmUpAdvice {
        private WarmUpAdvice() {
        }

        @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
        static boolean onEnter(@Advice.Argument(0) Object message,
                               @Advice.Argument(value = 1, readOnly = false) int length,
                               @Advice.FieldValue("handled") int handled,
                               @Advice.Local("seen") boolean seen) {
            seen = message != null;
            if (length < 0) {
                length = 0;
            }
            return handled < 0;
        }

        @Advice.OnMethodExit(suppress = Throwable.class)
        static void onExit(@Advice.Enter boolean skipped,
                           @Advice.Local("seen") boolean seen,
                           @Advice.Return(readOnly = false) Object returned) {
            if (skipped || !seen) {
                returned = null;
            }
        }
    }

    private static final class WarmUpFix extends Fix {
        private final TypePatch patch;

        WarmUpFix(TypePatch patch) {
            this.patch = patch;
        }

        @Override
        public String name() {
            return "warm-up";
        }

        @Override
        public String library() {
            return "h2patch";
        }

        @Override
        public List<TypePatch> patches() {
            return Collections.singletonList(patch);
        }

        @Override
        public List<VersionRange> versions() {
            return Collections.emptyList();
        }
    }
}
