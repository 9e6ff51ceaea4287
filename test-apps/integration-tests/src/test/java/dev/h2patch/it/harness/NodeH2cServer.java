package dev.h2patch.it.harness;

import dev.h2patch.it.Repo;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * Node's {@code http2.createServer} as an h2c server ({@code test-apps/interop/node/h2c-server.js}, no npm packages):
 * a real HTTP/2 server that is not Java, with nghttp2's strict SETTINGS accounting inside. Started as a child process
 * and stopped by its PID on {@link #close()}; its stderr (session errors, GOAWAYs) is kept for the assertions.
 */
public final class NodeH2cServer implements AutoCloseable {

    private final Process process;
    private final int port;
    private final List<String> stderr = Collections.synchronizedList(new ArrayList<>());

    private NodeH2cServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /** Starts the server on a free loopback port; every request is answered after {@code delayMillis}. */
    public static NodeH2cServer start(long delayMillis) throws IOException, InterruptedException {
        Path node = TestPeers.node();
        Path script = Repo.root().resolve("test-apps/interop/node/h2c-server.js");
        Process p = new ProcessBuilder(node.toString(), script.toString(), "--port", "0",
                "--delay-ms", Long.toString(delayMillis)).start();
        p.getOutputStream().close();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("READY ")) {
            p.destroyForcibly();
            throw new IllegalStateException("node h2c-server.js did not start: " + line + " "
                    + new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
        }
        NodeH2cServer server = new NodeH2cServer(p, Integer.parseInt(line.substring("READY ".length()).trim()));
        Thread pump = new Thread(() -> {
            try (BufferedReader err = new BufferedReader(new InputStreamReader(p.getErrorStream(),
                    StandardCharsets.UTF_8))) {
                for (String l; (l = err.readLine()) != null; ) {
                    server.stderr.add(l);
                }
            } catch (IOException ignored) {
                // process gone
            }
        }, "node-h2c-stderr");
        pump.setDaemon(true);
        pump.start();
        return server;
    }

    public int port() {
        return port;
    }

    /** Lines where the backend reported a failed session or received a GOAWAY with an error (not NO_ERROR). */
    public List<String> sessionErrors() {
        synchronized (stderr) {
            return stderr.stream().filter(l -> l.startsWith("session error")
                            || (l.startsWith("goaway") && !l.endsWith("code 0")))
                    .collect(Collectors.toList());
        }
    }

    public String log() {
        synchronized (stderr) {
            return stderr.isEmpty() ? "(node wrote nothing on stderr)" : String.join("\n", stderr);
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(5, TimeUnit.SECONDS)) {
            process.destroyForcibly();
        }
    }
}
