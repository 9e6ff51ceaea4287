package dev.h2patch.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The switches advice reads. The agent copies its options into them at install (and again after a detach and a new
 * attach), so they must be writable and volatile; before that, they hold the documented option defaults
 * (README.md, "Options"), which is what advice sees in a JVM where the agent set nothing.
 */
class H2patchRuntimeTest {

    @AfterEach
    void fixMode() {
        H2patchRuntime.reportOnly = false;
    }

    @Test
    void defaultsAreTheDocumentedOptionDefaults() {
        assertFalse(H2patchRuntime.reportOnly, "mode=fix");
        assertEquals(2000, H2patchRuntime.resetDeferMillis, "reset-defer-ms");
        assertEquals(1 << 20, H2patchRuntime.resetDeferBytes, "reset-defer-bytes");
        assertEquals(30000, H2patchRuntime.shutdownDrainMillis, "shutdown-drain-ms");
        assertTrue(H2patchRuntime.earlySettingsSniffers, "early-settings-sniffers=on");
        assertEquals(300000, H2patchRuntime.idleDeferMaxMillis, "idle-defer-max-ms");
        assertNull(H2patchRuntime.moduleOpener, "set only while the agent is installed on Java 9+");
    }

    /** A new attach with other options must take effect in advice already inlined: no final, no cached copy. */
    @Test
    void everySwitchIsAPublicStaticVolatileField() throws Exception {
        int switches = 0;
        for (Field field : H2patchRuntime.class.getDeclaredFields()) {
            int modifiers = field.getModifiers();
            if (field.isSynthetic()) {
                continue;
            }
            switches++;
            assertTrue(Modifier.isPublic(modifiers) && Modifier.isStatic(modifiers), field.getName());
            assertTrue(Modifier.isVolatile(modifiers), field.getName() + " must be volatile");
            assertFalse(Modifier.isFinal(modifiers), field.getName() + " must be writable");
        }
        assertEquals(7, switches, "a new switch needs a test of its default here");
    }

    @Test
    void reportsOnlyCountsOnlyInReportMode() {
        int counter = Counters.CONNECTION_STATE_WOULD_CHANGE;
        long before = Counters.get(counter);
        assertFalse(H2patchRuntime.reportsOnly(counter), "fix mode: the caller acts");
        assertEquals(before, Counters.get(counter), "and nothing is counted as would-change");

        H2patchRuntime.reportOnly = true;
        assertTrue(H2patchRuntime.reportsOnly(counter), "report mode: the caller changes nothing");
        assertTrue(H2patchRuntime.reportsOnly(counter));
        assertEquals(before + 2, Counters.get(counter), "each would-be change counted once");
    }
}
