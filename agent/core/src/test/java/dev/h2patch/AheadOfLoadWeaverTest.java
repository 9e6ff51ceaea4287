package dev.h2patch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import net.bytebuddy.agent.ByteBuddyAgent;
import org.junit.jupiter.api.Test;
import rollbacktest.PatchedValueAdvice;

/**
 * Once a loader's first advised class is patched, the others are woven on the weave-ahead thread and a later load
 * takes those bytes; bytes that differ from the ones read are never taken; a load of a class still being woven there
 * waits for it.
 * With the JVM's real Instrumentation and the real installer, as RollbackTest.
 */
class AheadOfLoadWeaverTest {

    private static final Fix FIX = new Fix() {
        @Override
        public String name() {
            return "ahead-test";
        }

        @Override
        public String library() {
            return "test library";
        }

        @Override
        public List<VersionRange> versions() {
            return Collections.singletonList(VersionRange.of("0", "1"));
        }

        @Override
        public List<TypePatch> patches() {
            return Arrays.asList(
                    TypePatch.type("aheadtest.Early").advise(PatchedValueAdvice.class, "value"),
                    TypePatch.type("aheadtest.Late").advise(PatchedValueAdvice.class, "value"));
        }
    };

    @Test
    void aLaterClassOfTheLoaderIsWovenAheadAndTakenAtItsLoad() throws Exception {
        Installer installer = Installer.install(ByteBuddyAgent.install(), Collections.singletonList(FIX));
        try {
            ClassLoader loader = loadEarlyThenAwaitLateWovenAhead(installer);
            assertEquals("patched", value(Class.forName("aheadtest.Late", true, loader)),
                    "the bytes woven ahead are the patched class");
            assertEquals(List.of(), installer.aheadOfLoad().waitingNames(loader), "taken at the load, not kept");
        } finally {
            installer.uninstall();
        }
    }

    @Test
    void otherBytesAreWovenAtTheLoadAndNothingAfterDetach() throws Exception {
        Installer installer = Installer.install(ByteBuddyAgent.install(), Collections.singletonList(FIX));
        try {
            ClassLoader loader = loadEarlyThenAwaitLateWovenAhead(installer);
            byte[] late = classFile("aheadtest.Late");
            byte[] changed = late.clone();
            changed[changed.length - 1] ^= 1; // as if another agent had changed the class first
            AheadOfLoadWeaver ahead = installer.aheadOfLoad();
            List<AdviceWeaver.Target> fitting = Collections.singletonList(
                    new AdviceWeaver.Target(FIX, Relocation.NONE, FIX.patches().get(1)));
            assertNull(ahead.take(loader, "aheadtest/Late", changed, fitting), "other bytes: not taken");
            assertEquals(List.of(), ahead.waitingNames(loader), "and dropped");
        } finally {
            installer.uninstall();
        }
        ClassLoader after = new ChildFirst(getClass().getClassLoader());
        assertEquals("original", value(Class.forName("aheadtest.Late", true, after)), "nothing woven after detach");
    }

    @Test
    void aLoadWaitsForTheClassBeingWovenAheadInsteadOfWeavingItAgain() throws Exception {
        SlowWeave slow = new SlowWeave(new ChildFirst(getClass().getClassLoader()));
        CompletableFuture<byte[]> load = slow.load();
        Thread.sleep(300);
        assertFalse(load.isDone(), "the load waits for the class the weave-ahead thread is weaving");
        slow.release.countDown();
        byte[] patched = load.get(20, TimeUnit.SECONDS);
        assertTrue(patched != null && !Arrays.equals(patched, classFile("aheadtest.Late")),
                "and takes the bytes woven there");
        slow.thread.join(20_000);
    }

    @Test
    void aLoaderThatLocksAsAWholeNeverWaits() throws Exception {
        // Its loading thread holds the loader's lock, which the weave-ahead thread's resource reads may need.
        SlowWeave slow = new SlowWeave(new ClassLoader(getClass().getClassLoader()) { });
        try {
            assertNull(slow.load().get(2, TimeUnit.SECONDS), "no wait: the load weaves the class itself");
        } finally {
            slow.release.countDown();
            slow.thread.join(20_000);
        }
    }

    /** A weave-ahead of aheadtest.Late whose fit check blocks until {@link #release}: a slow weave under way. */
    private static final class SlowWeave {
        final CountDownLatch release = new CountDownLatch(1);
        final List<AdviceWeaver.Target> lateTargets = Collections.singletonList(
                new AdviceWeaver.Target(FIX, Relocation.NONE, FIX.patches().get(1)));
        final ClassLoader loader;
        final AheadOfLoadWeaver ahead;
        final Thread thread;

        SlowWeave(ClassLoader loader) throws InterruptedException {
            this.loader = loader;
            CountDownLatch weaving = new CountDownLatch(1);
            Map<String, List<AdviceWeaver.Target>> targets = new LinkedHashMap<>();
            targets.put("aheadtest/Late", lateTargets);
            ahead = new AheadOfLoadWeaver(targets, (forType, in) -> {
                weaving.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return forType;
            });
            thread = new Thread(() -> ahead.weaveAhead(loader));
            thread.start();
            assertTrue(weaving.await(20, TimeUnit.SECONDS));
        }

        CompletableFuture<byte[]> load() {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return ahead.take(loader, "aheadtest/Late", classFile("aheadtest.Late"), lateTargets);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
        }
    }

    /** A new loader whose first advised class, Early, is patched; returns once Late is woven ahead there. */
    private ClassLoader loadEarlyThenAwaitLateWovenAhead(Installer installer) throws Exception {
        ClassLoader loader = new ChildFirst(getClass().getClassLoader());
        assertEquals("patched", value(Class.forName("aheadtest.Early", true, loader)));
        assertTrue(awaitReady(installer.aheadOfLoad(), loader, "aheadtest/Late"), "Late is woven ahead of its load");
        return loader;
    }

    private static boolean awaitReady(AheadOfLoadWeaver ahead, ClassLoader loader, String name)
            throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (!ahead.readyNames(loader).contains(name) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        return ahead.readyNames(loader).contains(name);
    }

    private static Object value(Class<?> type) throws Exception {
        return type.getMethod("value").invoke(type.getDeclaredConstructor().newInstance());
    }

    private static byte[] classFile(String name) throws IOException {
        try (InputStream in = AheadOfLoadWeaverTest.class.getClassLoader()
                .getResourceAsStream(name.replace('.', '/') + ".class")) {
            return in.readAllBytes();
        }
    }

    /** Loads the aheadtest types itself (so each loader gets its own copies); everything else from the parent. */
    private static final class ChildFirst extends ClassLoader {
        static {
            registerAsParallelCapable(); // as the JDK's application class loader is
        }

        ChildFirst(ClassLoader parent) {
            super(parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.startsWith("aheadtest.")) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> loaded = findLoadedClass(name);
                if (loaded == null) {
                    try {
                        byte[] bytes = classFile(name);
                        loaded = defineClass(name, bytes, 0, bytes.length);
                    } catch (IOException e) {
                        throw new ClassNotFoundException(name, e);
                    }
                }
                return loaded;
            }
        }
    }
}
