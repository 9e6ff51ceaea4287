package dev.h2patch.it.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.Repo;
import java.io.DataInputStream;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;

/** The agent jar as operators get it: self-contained, relocated, loadable into Java 8. */
class AgentJarTest {

    @Test
    void manifestDeclaresEveryWayToLoadTheAgent() throws Exception {
        try (JarFile jar = new JarFile(Repo.agentJar().toFile())) {
            Attributes main = jar.getManifest().getMainAttributes();
            assertEquals("dev.h2patch.Agent", main.getValue("Premain-Class"));
            assertEquals("dev.h2patch.Agent", main.getValue("Agent-Class"));
            assertEquals("dev.h2patch.cli.Main", main.getValue("Main-Class"));
            assertEquals("true", main.getValue("Can-Retransform-Classes"));
        }
    }

    @Test
    void everyClassLivesUnderTheAgentsOwnPackageAndTargetsJava8() throws Exception {
        List<String> foreign = new ArrayList<>();
        List<String> tooNew = new ArrayList<>();
        int classes = 0;
        try (JarFile jar = new JarFile(Repo.agentJar().toFile())) {
            for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements(); ) {
                JarEntry entry = entries.nextElement();
                if (!entry.getName().endsWith(".class")) {
                    continue;
                }
                classes++;
                if (!entry.getName().startsWith("dev/h2patch/")) {
                    foreign.add(entry.getName());
                }
                try (InputStream in = jar.getInputStream(entry)) {
                    DataInputStream data = new DataInputStream(in);
                    data.readInt(); // magic
                    data.readUnsignedShort(); // minor
                    int major = data.readUnsignedShort();
                    // ModuleEdges9 uses java.lang.Module: compiled for Java 9 (53) and loaded only on Java 9+.
                    boolean java9Part = entry.getName().startsWith("dev/h2patch/ModuleEdges9") && major == 53;
                    if (major > 52 && !java9Part) {
                        tooNew.add(entry.getName());
                    }
                }
            }
        }
        assertTrue(classes > 1000, "the jar should bundle Byte Buddy; it has " + classes + " classes");
        assertTrue(foreign.isEmpty(), "classes outside dev/h2patch/ (not relocated): " + head(foreign));
        assertTrue(tooNew.isEmpty(), "classes newer than Java 8 (other than the Java 9 part): " + head(tooNew));
    }

    private static List<String> head(List<String> names) {
        return names.subList(0, Math.min(20, names.size()));
    }
}
