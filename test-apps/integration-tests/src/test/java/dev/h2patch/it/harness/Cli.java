package dev.h2patch.it.harness;

import dev.h2patch.it.Repo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Runs {@code java -jar agent/dist/target/h2patch-agent.jar ARGS} as an operator would, and keeps what it printed. */
public final class Cli {

    /** One finished run. */
    public record Result(List<String> command, int exit, String out, String err, long millis) {
        @Override
        public String toString() {
            return "$ " + String.join(" ", command) + "\n  exit " + exit + " after " + millis + " ms\n  stdout: "
                    + out.strip().replace("\n", "\n          ") + "\n  stderr: "
                    + err.strip().replace("\n", "\n          ");
        }

        /** The first {@code "fix":{... "counter":N ...}} value in status --json output, or -1. */
        public long counter(String fix, String counter) {
            Matcher m = Pattern.compile("\"" + Pattern.quote(fix) + "\":\\{[^}]*\"" + Pattern.quote(counter)
                    + "\":(\\d+)").matcher(out);
            return m.find() ? Long.parseLong(m.group(1)) : -1;
        }

        /** The verdict word of {@code check} in probe --json output, or null. */
        public String verdict(String check) {
            Matcher m = probeCheck(check);
            return m.find() ? m.group(1) : null;
        }

        /** What the probe saw for {@code check} in its --json output (JSON-escaped), or null. */
        public String saw(String check) {
            Matcher m = probeCheck(check);
            return m.find() ? m.group(2) : null;
        }

        private Matcher probeCheck(String check) {
            return Pattern.compile("\\{\"check\":\"" + Pattern.quote(check) + "\",\"verdict\":\"([^\"]+)\",\"fix\":"
                    + "\"[^\"]*\",\"saw\":\"((?:[^\"\\\\]|\\\\.)*)\"").matcher(out);
        }
    }

    private Cli() {}

    public static Result run(String... args) throws IOException, InterruptedException {
        return runWith(List.of(), Paths.get(System.getProperty("java.home"), "bin", "java"), args);
    }

    /** With {@code prefix} before java (e.g. setpriv to run as another user) and another java. */
    public static Result runWith(List<String> prefix, Path java, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.add(java.toString());
        cmd.add("-jar");
        cmd.add(Repo.agentJar().toString());
        cmd.addAll(List.of(args));
        long start = System.nanoTime();
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().keySet().removeIf(k -> k.startsWith("H2PATCH_") || k.equals("JAVA_TOOL_OPTIONS"));
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + cmd);
        }
        long millis = (System.nanoTime() - start) / 1_000_000;
        return new Result(cmd, p.exitValue(), out.join(), err.join(), millis);
    }

    private static String read(java.io.InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
