package dev.h2patch.it.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.Repo;
import dev.h2patch.it.harness.Cli;
import dev.h2patch.it.harness.TestApps;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The container entrypoint wrapper, run as a plain process (there is no container engine here): the JVM it execs
 * gets the agent, the JAVA_TOOL_OPTIONS that were there survive, and SIGTERM sent to the wrapper's pid reaches the
 * JVM.
 */
@Timeout(90)
class WrapperTest {

    @Test
    void wrapperLoadsTheAgentKeepsJavaToolOptionsAndPassesSignals(@TempDir Path dir) throws Exception {
        Path script = extractScript(dir);
        Map<String, String> env = Map.of(
                "H2PATCH_AGENT_JAR", Repo.agentJar().toString(),
                "H2PATCH_AGENT_OPTIONS", "mode=report",
                "JAVA_TOOL_OPTIONS", "-Dfoo=bar");
        try (Running app = Running.start(script, env)) {
            String pid = Long.toString(app.process.pid());
            assertTrue(app.err().stream().anyMatch(l -> l.equals("Picked up JAVA_TOOL_OPTIONS: -javaagent:"
                    + Repo.agentJar() + "=mode=report -Dfoo=bar")), "the JVM's own line\n" + app.describe());
            assertTrue(app.err().stream().anyMatch(l -> l.contains("h2patch") && l.contains("(premain): mode=report")),
                    "the agent's banner\n" + app.describe());
            assertTrue(app.err().stream().noneMatch(l -> l.contains("H2PATCH_")),
                    "the wrapper's own variables never reach the agent\n" + app.describe());

            // The wrapper exec'd: its pid is the JVM, which jcmd can talk to; its properties have both.
            String properties = jcmd(pid, "VM.system_properties");
            assertTrue(properties.contains("foo=bar"), properties);
            assertTrue(properties.contains("h2patch.version=") && properties.contains("h2patch.mode=report"),
                    properties);

            app.process.destroy(); // SIGTERM to the wrapper's pid
            assertTrue(app.process.waitFor(10, TimeUnit.SECONDS), "the JVM should exit on SIGTERM\n" + app.describe());
            assertEquals(143, app.process.exitValue(), "128 + SIGTERM: the JVM itself got the signal");
        }
    }

    @Test
    void jarNextToTheScriptIsTheDefaultAndAMissingJarStartsWithoutTheAgent(@TempDir Path dir) throws Exception {
        Path script = extractScript(dir);
        Files.copy(Repo.agentJar(), dir.resolve("h2patch-agent.jar"));
        try (Running app = Running.start(script, Map.of())) {
            assertTrue(app.err().stream().anyMatch(l -> l.contains("(premain): mode=fix")), app.describe());
        }
        try (Running app = Running.start(script, Map.of("H2PATCH_AGENT_JAR", dir.resolve("nope.jar").toString(),
                "JAVA_TOOL_OPTIONS", "-Dfoo=bar"))) {
            assertTrue(app.err().stream().anyMatch(l -> l.contains("h2patch-entrypoint: cannot read the agent jar")),
                    app.describe());
            assertTrue(app.err().stream().anyMatch(l -> l.equals("Picked up JAVA_TOOL_OPTIONS: -Dfoo=bar")),
                    app.describe());
            assertTrue(app.err().stream().noneMatch(l -> l.contains("(premain)")), app.describe());
        }
    }

    /** {@code java -jar h2patch-agent.jar wrapper > DIR/h2patch-entrypoint.sh}, as docs/deploy.md says. */
    static Path extractScript(Path dir) throws Exception {
        Cli.Result wrapper = Cli.run("wrapper");
        assertEquals(0, wrapper.exit(), wrapper.toString());
        assertTrue(wrapper.out().startsWith("#!/bin/sh"), wrapper.toString());
        Path script = dir.resolve("h2patch-entrypoint.sh");
        Files.writeString(script, wrapper.out());
        return script;
    }

    static String jcmd(String pid, String command) throws Exception {
        Path jcmd = Paths.get(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), pid, command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "jcmd hung");
        return out;
    }

    /** {@code sh SCRIPT java -jar netty-server.jar --port 0}, started and READY. */
    static final class Running implements AutoCloseable {
        final Process process;
        private final List<String> stderr = Collections.synchronizedList(new ArrayList<>());
        private final List<String> stdout = Collections.synchronizedList(new ArrayList<>());

        private Running(Process process) {
            this.process = process;
        }

        static Running start(Path script, Map<String, String> env) throws Exception {
            Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
            ProcessBuilder pb = new ProcessBuilder("sh", script.toString(), java.toString(), "-jar",
                    Repo.appJar(TestApps.NETTY).toString(), "--port", "0");
            pb.environment().keySet().removeIf(k -> k.startsWith("H2PATCH_") || k.equals("JAVA_TOOL_OPTIONS"));
            pb.environment().putAll(env);
            Running running = new Running(pb.start());
            running.process.getOutputStream().close();
            CompletableFuture<Void> ready = new CompletableFuture<>();
            pump(running.process.getErrorStream(), running.stderr, null);
            pump(running.process.getInputStream(), running.stdout, ready);
            try {
                ready.get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                running.close();
                throw new AssertionError("not READY: " + running.describe(), e);
            }
            Thread.sleep(200); // let the stderr pump catch up with the lines printed before READY
            return running;
        }

        private static void pump(java.io.InputStream in, List<String> sink, CompletableFuture<Void> ready) {
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null; ) {
                        sink.add(line);
                        if (ready != null && line.startsWith("READY ")) {
                            ready.complete(null);
                        }
                    }
                } catch (Exception ignored) {
                    // the process went away
                }
                if (ready != null) {
                    ready.completeExceptionally(new IllegalStateException("stdout closed"));
                }
            });
            t.setDaemon(true);
            t.start();
        }

        List<String> err() {
            synchronized (stderr) {
                return List.copyOf(stderr);
            }
        }

        String describe() {
            return "stdout:\n  " + String.join("\n  ", List.copyOf(stdout)) + "\nstderr:\n  "
                    + String.join("\n  ", err());
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        }
    }
}
