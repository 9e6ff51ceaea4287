package dev.h2patch.it.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.nio.file.Path;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NoOpRetransformAgentTest {

    @Test
    void jarIsARetransformingAgentWithItsClasses(@TempDir Path dir) throws Exception {
        Path jar = dir.resolve("noop.jar");
        NoOpRetransformAgent.writeJar(jar);
        try (JarFile file = new JarFile(jar.toFile())) {
            assertEquals(NoOpRetransformAgent.class.getName(),
                    file.getManifest().getMainAttributes().getValue("Agent-Class"));
            assertEquals("true", file.getManifest().getMainAttributes().getValue("Can-Retransform-Classes"));
            // the agent class and its anonymous transformer: without either, the JVM cannot run agentmain
            assertNotNull(file.getEntry("dev/h2patch/it/bench/NoOpRetransformAgent.class"));
            assertNotNull(file.getEntry("dev/h2patch/it/bench/NoOpRetransformAgent$1.class"));
        }
    }
}
