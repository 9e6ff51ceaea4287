package dev.h2patch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import net.bytebuddy.agent.ByteBuddyAgent;
import org.junit.jupiter.api.Test;
import rollbacktest.PatchedValueAdvice;
import rollbacktest.UnweavableAdvice;

/**
 * A fix is applied whole or not at all in a class loader: when its advice cannot be inlined into one of its classes,
 * the classes of that fix already patched there get their original code back. With the JVM's real Instrumentation
 * (Byte Buddy's agent attaches to this JVM) and the real installer; the fix is a test fix over two test types.
 */
class RollbackTest {

    @Test
    void aFixThatCannotBeWovenIntoOneOfItsClassesIsRolledBackWhole() throws Exception {
        Instrumentation instrumentation = ByteBuddyAgent.install();
        Fix fix = new Fix() {
            @Override
            public String name() {
                return "rollback-test";
            }

            @Override
            public String library() {
                return "test library";
            }

            @Override
            public java.util.List<VersionRange> versions() {
                return java.util.Collections.singletonList(VersionRange.of("0", "1"));
            }

            @Override
            public List<TypePatch> patches() {
                return Arrays.asList(
                        TypePatch.type("rollbacktest.First").advise(PatchedValueAdvice.class, "value"),
                        TypePatch.type("rollbacktest.Second").advise(UnweavableAdvice.class, "value", "int"));
            }
        };
        Installer installer = Installer.install(instrumentation, Collections.singletonList(fix));
        try {
            ClassLoader loader = new ChildFirst(getClass().getClassLoader());
            Class<?> first = Class.forName("rollbacktest.First", true, loader);
            assertEquals("patched", value(first), "the fix fits, and First is patched when it loads");

            Class<?> second = Class.forName("rollbacktest.Second", true, loader);
            assertEquals("original", second.getMethod("value", int.class).invoke(
                    second.getDeclaredConstructor().newInstance(), 1));

            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!"original".equals(value(first)) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertEquals("original", value(first), "First gets its original code back: the fix is rolled back whole");

            // Another class loader is judged on its own: there the fix fits, and its class is patched.
            ClassLoader other = new ChildFirst(getClass().getClassLoader());
            assertEquals("patched", value(Class.forName("rollbacktest.First", true, other)),
                    "another class loader is judged on its own");
        } finally {
            installer.uninstall();
        }
    }

    private static Object value(Class<?> type) throws Exception {
        return type.getMethod("value").invoke(type.getDeclaredConstructor().newInstance());
    }

    /** Loads the rollbacktest types itself (so each loader gets its own copies); everything else from the parent. */
    private static final class ChildFirst extends ClassLoader {
        ChildFirst(ClassLoader parent) {
            super(parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.equals("rollbacktest.First") && !name.equals("rollbacktest.Second")) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> loaded = findLoadedClass(name);
                if (loaded == null) {
                    try (InputStream in = getParent().getResourceAsStream(name.replace('.', '/') + ".class")) {
                        byte[] bytes = in.readAllBytes();
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
