package dev.h2patch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.h2patch.bootstrap.H2patchRuntime;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import net.bytebuddy.agent.ByteBuddyAgent;
import org.junit.jupiter.api.Test;

/**
 * The helper classes can exist twice: the system class loader's copy, which the agent sets, and the copy injected
 * into the bootstrap class loader for libraries whose loader cannot see the first. Advice in those libraries reads
 * the second, so every option must reach it, on the first start and on every later attach.
 *
 * <p>Injection changes the bootstrap class path of the JVM for good, so it runs in a child JVM of its own.
 */
class BootstrapInjectorTest {

    @Test
    void everySwitchReachesTheBootstrapCopyOnInjectionAndOnEveryLaterStart() throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        List<String> command = new ArrayList<>(List.of(java, "-Djdk.attach.allowAttachSelf=true",
                "-cp", System.getProperty("java.class.path"), Child.class.getName()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try (InputStream in = process.getInputStream()) {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            in.transferTo(bytes);
            output = bytes.toString(StandardCharsets.UTF_8);
        }
        process.waitFor(60, TimeUnit.SECONDS);
        assertEquals(0, process.exitValue(), output);
        assertEquals("injected: true/1234/4321/5678/false/8765; re-attached: false/99/98/97/true/96", lastLine(output),
                output);
    }

    /** A new option switch must be added to the check above, or this fails. */
    @Test
    void theCheckAboveCoversEveryOptionSwitch() {
        List<String> switches = new ArrayList<>();
        for (java.lang.reflect.Field field : H2patchRuntime.class.getFields()) {
            int modifiers = field.getModifiers();
            if (java.lang.reflect.Modifier.isStatic(modifiers) && !java.lang.reflect.Modifier.isFinal(modifiers)
                    && field.getType().isPrimitive()) {
                switches.add(field.getName());
            }
        }
        java.util.Collections.sort(switches);
        assertEquals(List.of("earlySettingsSniffers", "idleDeferMaxMillis", "reportOnly", "resetDeferBytes",
                "resetDeferMillis", "shutdownDrainMillis"), switches);
    }

    private static String lastLine(String output) {
        String[] lines = output.trim().split("\n");
        return lines[lines.length - 1].trim();
    }

    /** Runs in the child JVM. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Instrumentation instrumentation = ByteBuddyAgent.install();
            set(true, 1234, 4321, 5678, false, 8765);
            if (!BootstrapInjector.inject(instrumentation)) {
                throw new AssertionError("not injected");
            }
            Class<?> copy = Class.forName(H2patchRuntime.class.getName(), true, null);
            if (copy == H2patchRuntime.class) {
                throw new AssertionError("the test needs two copies");
            }
            String injected = read(copy);
            set(false, 99, 98, 97, true, 96); // what Agent.start does on a later attach with other options
            BootstrapInjector.syncSwitches();
            System.out.println("injected: " + injected + "; re-attached: " + read(copy));
        }

        private static void set(boolean reportOnly, long deferMillis, long deferBytes, long drainMillis,
                                boolean sniffers, long idleDeferMax) {
            H2patchRuntime.reportOnly = reportOnly;
            H2patchRuntime.resetDeferMillis = deferMillis;
            H2patchRuntime.resetDeferBytes = deferBytes;
            H2patchRuntime.shutdownDrainMillis = drainMillis;
            H2patchRuntime.earlySettingsSniffers = sniffers;
            H2patchRuntime.idleDeferMaxMillis = idleDeferMax;
        }

        private static String read(Class<?> copy) throws Exception {
            return copy.getField("reportOnly").get(null) + "/" + copy.getField("resetDeferMillis").get(null) + "/"
                    + copy.getField("resetDeferBytes").get(null) + "/" + copy.getField("shutdownDrainMillis").get(null)
                    + "/" + copy.getField("earlySettingsSniffers").get(null) + "/"
                    + copy.getField("idleDeferMaxMillis").get(null);
        }
    }
}
