package dev.h2patch.it.interop;

import dev.h2patch.it.Repo;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How the external peers of the interop suite (installed by {@code test-apps/interop/install-peers.sh}) are found and
 * run: each run has a deadline and is killed past it; a peer that is not installed yields {@link Unavailable}. What
 * each peer is asked and how its output reads: {@link PeerClients}, {@link PeerOutput}; which peers a scenario uses:
 * {@link Scenarios}.
 */
final class Peers {
    private Peers() {}

    /** A peer could not run (not installed, did not start): recorded as "peer unavailable: reason", never a failure. */
    static final class Unavailable extends Exception {
        Unavailable(String reason) {
            super(reason);
        }
    }

    record Run(int exit, String output) {}

    static Path interopDir() {
        return Repo.root().resolve("test-apps/interop");
    }

    static Path target(String name) {
        return interopDir().resolve("target").resolve(name);
    }

    /** The path of an executable: test-apps/interop/target/NAME, or NAME on the PATH, /usr/sbin, /usr/bin. */
    static String exe(String name) throws Unavailable {
        Path local = target(name);
        if (Files.isExecutable(local)) {
            return local.toString();
        }
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/bin:/usr/local/bin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, name))) {
                return Path.of(dir, name).toString();
            }
        }
        throw new Unavailable(name + " is not installed (run test-apps/interop/install-peers.sh)");
    }

    static Run run(List<String> command, Duration timeout) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        StringBuilder out = new StringBuilder();
        Thread pump = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                out.append(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // process gone
            }
        });
        pump.setDaemon(true);
        pump.start();
        boolean finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        if (!finished) {
            p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor(5, TimeUnit.SECONDS);
        }
        pump.join(2000);
        synchronized (out) {
            return new Run(finished ? p.exitValue() : -1, (finished ? "" : "[killed after " + timeout.toSeconds()
                    + " s] ") + out);
        }
    }

    /** A long-running peer (cmux-front) that prints READY PORT; stopped by its PID. */
    static final class Daemon implements AutoCloseable {
        final Process process;
        final int port;

        Daemon(List<String> command) throws IOException, InterruptedException, Unavailable {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
            var reader = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
            java.util.concurrent.CompletableFuture<Integer> ready = new java.util.concurrent.CompletableFuture<>();
            Thread t = new Thread(() -> {
                try {
                    for (String line; (line = reader.readLine()) != null; ) {
                        Matcher m = Pattern.compile("^READY (\\d+)").matcher(line);
                        if (m.find()) {
                            ready.complete(Integer.parseInt(m.group(1)));
                        }
                    }
                } catch (IOException ignored) {
                    // gone
                }
                ready.complete(-1);
            });
            t.setDaemon(true);
            t.start();
            int p;
            try {
                p = ready.get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                p = -1;
            }
            if (p <= 0) {
                close();
                throw new Unavailable(command.get(0) + " did not print READY");
            }
            port = p;
        }

        @Override
        public void close() {
            process.destroy();
            try {
                if (!process.waitFor(3, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** First line of a command's output, or "?" (for tool versions in the doc header). */
    static String version(List<String> command) {
        try {
            Run r = run(command, Duration.ofSeconds(10));
            return r.output().strip().lines().findFirst().orElse("?");
        } catch (Exception e) {
            return "unavailable";
        }
    }
}
