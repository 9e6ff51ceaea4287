package dev.h2patch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The file the agent answers status through: owner-only, in the target's temporary directory, gone afterwards. */
class StatusFileTest {

    @Test
    void ownerOnlyInAPrivateDirectoryOfTheTargetsTmpAndDeletedAfterwards() throws Exception {
        assumeTrue(Files.isDirectory(Paths.get("/proc/self")), "needs /proc");
        Process other = new ProcessBuilder("sleep", "60").start();
        try {
            Properties targetProperties = new Properties();
            targetProperties.setProperty("java.io.tmpdir", System.getProperty("java.io.tmpdir"));
            StatusFile file = StatusFile.create(Target.of(Long.toString(other.pid())), targetProperties);
            Path seen = Paths.get(file.targetPath);
            assertEquals(Paths.get(System.getProperty("java.io.tmpdir")), seen.getParent().getParent(),
                    "the path the target is given: in its own java.io.tmpdir");
            assertTrue(seen.getParent().getFileName().toString().startsWith("h2patch-status-"), file.targetPath);
            assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(seen.getParent())));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(seen)));
            assertEquals(0, Files.size(seen), "empty until the agent writes");
            assertTrue(file.read().isEmpty(), "nothing written: nothing read");

            Properties written = new Properties();
            written.setProperty("active", "true");
            try (OutputStream out = Files.newOutputStream(seen)) {
                written.store(out, null);
            }
            assertEquals("true", file.read().getProperty("active"));

            Path elsewhere = Files.createTempFile("h2patch-status-test", ".properties");
            try {
                Files.delete(seen);
                Files.createSymbolicLink(seen, elsewhere);
                assertThrows(java.io.IOException.class, file::read, "a link put in its place is not read");
                Files.delete(seen);
                Files.createLink(seen, elsewhere);
                assertThrows(java.io.IOException.class, file::read, "nor a second name of another file");
            } finally {
                Files.delete(elsewhere);
            }
            file.delete();
            assertFalse(Files.exists(seen.getParent()), "the command deletes the file and its directory");
        } finally {
            other.destroy();
        }
    }
}
