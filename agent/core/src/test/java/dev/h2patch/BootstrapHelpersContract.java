package dev.h2patch;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.commons.ClassRemapper;
import net.bytebuddy.jar.asm.commons.Remapper;
import org.junit.jupiter.api.Test;

/**
 * The rule of every helper class that inlined advice calls ({@code dev.h2patch.bootstrap} and its subpackages, in
 * agent/bootstrap and in each library family's common module): it uses {@code java.*} and other helpers only. Advice
 * reaches these classes from the patched library's class loader, or from the bootstrap loader after injection, where
 * neither the agent nor any library type is visible. Each module with helpers checks its own classes with a test that
 * extends this one (shipped in h2patch-core's test-jar).
 */
public abstract class BootstrapHelpersContract {

    /** Any class of the module under test: its class folder is the one scanned. */
    protected abstract Class<?> anyHelperOfThisModule();

    @Test
    void helpersUseJavaAndOtherHelpersOnly() throws IOException, URISyntaxException {
        Path location = Paths.get(anyHelperOfThisModule().getProtectionDomain().getCodeSource().getLocation().toURI());
        // In a reactor build past 'package' (mvn verify), a sibling module's classes come from its jar, not its folder.
        try (FileSystem jar = Files.isRegularFile(location) ? FileSystems.newFileSystem(location, (ClassLoader) null)
                : null) {
            Path classes = jar != null ? jar.getPath("/") : location;
            assertHelpersUseJavaAndOtherHelpersOnly(classes);
        }
    }

    private static void assertHelpersUseJavaAndOtherHelpersOnly(Path classes) throws IOException {
        Path root = classes.resolve("dev/h2patch/bootstrap");
        List<Path> files;
        try (Stream<Path> walk = Files.walk(root)) {
            files = walk.filter(p -> p.toString().endsWith(".class")).collect(Collectors.toList());
        }
        assertFalse(files.isEmpty(), "no helper classes under " + root);
        Set<String> foreign = new TreeSet<>();
        for (Path file : files) {
            try (InputStream in = Files.newInputStream(file)) {
                String owner = classes.relativize(file).toString();
                // A writer, not an empty visitor: the remapper only walks the members its delegate visits.
                ClassVisitor all = new ClassWriter(0);
                new ClassReader(in).accept(new ClassRemapper(all, new Remapper() {
                    @Override
                    public String map(String internalName) {
                        if (!internalName.startsWith("java/") && !internalName.startsWith("dev/h2patch/bootstrap/")) {
                            foreign.add(owner + " -> " + internalName);
                        }
                        return internalName;
                    }
                }), 0);
            }
        }
        assertTrue(foreign.isEmpty(), "helpers must use java.* and dev.h2patch.bootstrap only: " + foreign);
    }
}
