package dev.h2patch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class OptionsTest {

    private static final Properties NO_PROPERTIES = new Properties();
    private static final Map<String, String> NO_ENVIRONMENT = Collections.emptyMap();

    @Test
    void defaultsEnableEveryFixInFixMode() throws Exception {
        Options options = Options.parse(null, NO_PROPERTIES, NO_ENVIRONMENT);
        assertEquals(new LinkedHashSet<>(Fixes.NAMES), options.fixes());
        assertEquals(Options.Mode.FIX, options.mode());
        assertEquals(Options.LogLevel.INFO, options.log());
    }

    @Test
    void agentArgumentsTakeCommaSeparatedFixListsFollowedByOtherKeys() throws Exception {
        Options options = Options.parse("fixes=end-stream,early-settings,mode=report,log=debug",
                NO_PROPERTIES, NO_ENVIRONMENT);
        assertEquals(new LinkedHashSet<>(Arrays.asList("end-stream", "early-settings")), options.fixes());
        assertEquals(Options.Mode.REPORT, options.mode());
        assertEquals(Options.LogLevel.DEBUG, options.log());
    }

    @Test
    void agentArgumentsOverrideSystemPropertiesWhichOverrideTheEnvironment() throws Exception {
        Properties properties = new Properties();
        properties.setProperty("h2patch.mode", "report");
        properties.setProperty("h2patch.log", "quiet");
        Map<String, String> environment = new HashMap<>();
        environment.put("H2PATCH_MODE", "fix");
        environment.put("H2PATCH_LOG", "debug");
        environment.put("H2PATCH_FIXES", "proxy-safe-reset");

        Options options = Options.parse("log=info", properties, environment);

        assertEquals(Options.LogLevel.INFO, options.log(), "agent argument wins");
        assertEquals(Options.Mode.REPORT, options.mode(), "system property beats environment");
        assertEquals(Collections.singleton("proxy-safe-reset"), options.fixes(), "environment applies when alone");
    }

    @Test
    void theVersionPropertyTheAgentSetsIsNotAnOption() throws Exception {
        Properties properties = new Properties();
        properties.setProperty("h2patch.version", "0.1.0");
        Options options = Options.parse(null, properties, NO_ENVIRONMENT);
        // The state properties a running agent sets (h2patch.version) are neither options nor unknown keys.
        assertTrue(options.warnings().isEmpty(), options.warnings().toString());
        assertEquals(Options.parse(null, NO_PROPERTIES, NO_ENVIRONMENT).toString(), options.toString());
        // ... while any other h2patch.* property is read as an option, so a misspelt one is refused.
        Properties misspelt = new Properties();
        misspelt.setProperty("h2patch.verison", "0.1.0");
        assertThrows(Options.InvalidOptionException.class, () -> Options.parse(null, misspelt, NO_ENVIRONMENT));
    }

    @Test
    void resetDeferBoundsHaveDefaultsAndComeFromEverySource() throws Exception {
        Options defaults = Options.parse(null, NO_PROPERTIES, NO_ENVIRONMENT);
        assertEquals(2000, defaults.resetDeferMillis());
        assertEquals(1 << 20, defaults.resetDeferBytes());

        Map<String, String> environment = new HashMap<>();
        environment.put("H2PATCH_RESET_DEFER_BYTES", "4096");
        Properties properties = new Properties();
        properties.setProperty("h2patch.reset-defer-ms", "700");
        Options options = Options.parse("fixes=proxy-safe-reset,reset-defer-ms=250", properties, environment);
        assertEquals(250, options.resetDeferMillis(), "agent argument wins");
        assertEquals(4096, options.resetDeferBytes(), "environment variable with underscores");
        assertTrue(options.warnings().isEmpty(), options.warnings().toString());
    }

    @Test
    void resetDeferBoundsMustBePositiveIntegersInRange() {
        for (String bad : new String[] {"reset-defer-ms=0", "reset-defer-ms=-5", "reset-defer-ms=2s",
                "reset-defer-ms=600001", "reset-defer-bytes=0", "reset-defer-bytes=1MiB",
                "reset-defer-bytes=2147483648"}) {
            Options.InvalidOptionException error = assertThrows(Options.InvalidOptionException.class,
                    () -> Options.parse(bad, NO_PROPERTIES, NO_ENVIRONMENT), bad);
            assertTrue(error.getMessage().contains("an integer from 1 to "), error.getMessage());
        }
    }

    @Test
    void shutdownDrainBoundHasADefaultAndMustBeAPositiveIntegerInRange() throws Exception {
        assertEquals(30000, Options.parse(null, NO_PROPERTIES, NO_ENVIRONMENT).shutdownDrainMillis());
        Map<String, String> environment = new HashMap<>();
        environment.put("H2PATCH_SHUTDOWN_DRAIN_MS", "5000");
        assertEquals(5000, Options.parse(null, NO_PROPERTIES, environment).shutdownDrainMillis());
        assertEquals(1500, Options.parse("shutdown-drain-ms=1500", NO_PROPERTIES, environment)
                .shutdownDrainMillis(), "agent argument wins");
        for (String bad : new String[] {"shutdown-drain-ms=0", "shutdown-drain-ms=-1", "shutdown-drain-ms=30s",
                "shutdown-drain-ms=3600001"}) {
            Options.InvalidOptionException error = assertThrows(Options.InvalidOptionException.class,
                    () -> Options.parse(bad, NO_PROPERTIES, NO_ENVIRONMENT), bad);
            assertTrue(error.getMessage().contains("an integer from 1 to 3600000"), error.getMessage());
        }
    }

    @Test
    void idleDeferCapHasADefaultAndMustBeAPositiveIntegerInRange() throws Exception {
        assertEquals(300000, Options.parse(null, NO_PROPERTIES, NO_ENVIRONMENT).idleDeferMaxMillis());
        Map<String, String> environment = new HashMap<>();
        environment.put("H2PATCH_IDLE_DEFER_MAX_MS", "5000");
        assertEquals(5000, Options.parse(null, NO_PROPERTIES, environment).idleDeferMaxMillis());
        assertEquals(1500, Options.parse("idle-defer-max-ms=1500", NO_PROPERTIES, environment)
                .idleDeferMaxMillis(), "agent argument wins");
        for (String bad : new String[] {"idle-defer-max-ms=0", "idle-defer-max-ms=-1", "idle-defer-max-ms=5m",
                "idle-defer-max-ms=86400001"}) {
            Options.InvalidOptionException error = assertThrows(Options.InvalidOptionException.class,
                    () -> Options.parse(bad, NO_PROPERTIES, NO_ENVIRONMENT), bad);
            assertTrue(error.getMessage().contains("an integer from 1 to 86400000"), error.getMessage());
        }
    }

    @Test
    void allSelectsEveryFix() throws Exception {
        assertEquals(new LinkedHashSet<>(Fixes.NAMES),
                Options.parse("fixes=all", NO_PROPERTIES, NO_ENVIRONMENT).fixes());
    }

    @Test
    void unknownFixNamesTheValidOnes() {
        Options.InvalidOptionException error = assertThrows(Options.InvalidOptionException.class,
                () -> Options.parse("fixes=nonsense", NO_PROPERTIES, NO_ENVIRONMENT));
        assertTrue(error.getMessage().contains("'nonsense'"), error.getMessage());
        for (String name : Fixes.NAMES) {
            assertTrue(error.getMessage().contains(name), error.getMessage());
        }
    }

    @Test
    void unknownKeyNamesTheValidKeysAndTheSource() {
        Properties properties = new Properties();
        properties.setProperty("h2patch.colour", "red");
        Options.InvalidOptionException error = assertThrows(Options.InvalidOptionException.class,
                () -> Options.parse(null, properties, NO_ENVIRONMENT));
        assertTrue(error.getMessage().contains("'colour'"), error.getMessage());
        assertTrue(error.getMessage().contains("h2patch.colour"), error.getMessage());
        assertTrue(error.getMessage().contains("fixes, mode, log"), error.getMessage());

        error = assertThrows(Options.InvalidOptionException.class,
                () -> Options.parse("colour=red", NO_PROPERTIES, NO_ENVIRONMENT));
        assertTrue(error.getMessage().contains("'colour'") && error.getMessage().contains("agent arguments"),
                error.getMessage());
    }

    @Test
    void anUnknownEnvironmentVariableIsOnlyAWarning() throws Exception {
        Options options = Options.parse(null, NO_PROPERTIES, Collections.singletonMap("H2PATCH_AGENT_JAR", "/x"));
        assertEquals(1, options.warnings().size());
        assertTrue(options.warnings().get(0).contains("H2PATCH_AGENT_JAR"), options.warnings().get(0));
        assertEquals(new LinkedHashSet<>(Fixes.NAMES), options.fixes());
    }

    @Test
    void badValueNamesTheValidValues() {
        Options.InvalidOptionException error = assertThrows(Options.InvalidOptionException.class,
                () -> Options.parse("mode=repair", NO_PROPERTIES, NO_ENVIRONMENT));
        assertTrue(error.getMessage().contains("'repair'"), error.getMessage());
        assertTrue(error.getMessage().contains("fix, report"), error.getMessage());
    }

    @Test
    void aLeadingTokenWithoutEqualsIsRejected() {
        Options.InvalidOptionException error = assertThrows(Options.InvalidOptionException.class,
                () -> Options.parse("end-stream", NO_PROPERTIES, NO_ENVIRONMENT));
        assertTrue(error.getMessage().contains("not key=value"), error.getMessage());
    }

    @Test
    void earlySettingsSniffersIsOnByDefaultAndTakesOnOrOff() throws Exception {
        assertTrue(Options.parse(null, NO_PROPERTIES, NO_ENVIRONMENT).earlySettingsSniffers());
        Map<String, String> environment = new HashMap<>();
        environment.put("H2PATCH_EARLY_SETTINGS_SNIFFERS", "off");
        assertFalse(Options.parse(null, NO_PROPERTIES, environment).earlySettingsSniffers());
        assertTrue(Options.parse("early-settings-sniffers=on", NO_PROPERTIES, environment).earlySettingsSniffers(),
                "agent argument wins");
        Properties properties = new Properties();
        properties.setProperty("h2patch.early-settings-sniffers", "off");
        assertFalse(Options.parse(null, properties, NO_ENVIRONMENT).earlySettingsSniffers());
        for (String bad : new String[] {"early-settings-sniffers=", "early-settings-sniffers=true",
                "early-settings-sniffers=OFF", "early-settings-sniffers=0"}) {
            Options.InvalidOptionException error = assertThrows(Options.InvalidOptionException.class,
                    () -> Options.parse(bad, NO_PROPERTIES, NO_ENVIRONMENT), bad);
            assertTrue(error.getMessage().contains("valid values: on, off"), error.getMessage());
        }
    }
}
