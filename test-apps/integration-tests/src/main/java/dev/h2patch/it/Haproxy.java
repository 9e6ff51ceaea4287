package dev.h2patch.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real HAProxy in front of a test app, for the proxy-safe-reset tests (docs/bugs.md#proxy-safe-reset): {@code mode http}, an h2c front
 * on a free loopback port, one h2c server. Started in the foreground ({@code haproxy -db -f CFG}) as a child process,
 * stopped by its PID on {@link #close()}. When no {@code haproxy} is installed ({@code .ci/run} installs it), tests
 * skip their proxy checks with {@link #NOT_INSTALLED} ({@code assumeTrue(Haproxy.executable() != null, ...)}).
 */
public final class Haproxy implements AutoCloseable {
    private static final List<String> CANDIDATES = List.of("/usr/sbin/haproxy", "/usr/bin/haproxy",
            "/usr/local/sbin/haproxy", "/usr/local/bin/haproxy");

    /** Why a test skipped its checks through HAProxy. */
    public static final String NOT_INSTALLED = "haproxy is not installed (apt-get install -y haproxy; .ci/run does it):"
            + " skipping the checks through a real HAProxy";

    private final Process process;
    private final int port;
    private final Path config;
    private final List<String> output = Collections.synchronizedList(new ArrayList<>());

    private Haproxy(Process process, int port, Path config) {
        this.process = process;
        this.port = port;
        this.config = config;
        Thread pump = new Thread(() -> {
            // Line by line, as HAProxy writes them: log() must see a request's httplog line while HAProxy runs.
            try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    output.add(line);
                }
            } catch (IOException ignored) {
                // process gone
            }
        }, "haproxy-output");
        pump.setDaemon(true);
        pump.start();
    }

    /** The haproxy executable, or null when it is not installed. */
    public static Path executable() {
        for (String candidate : CANDIDATES) {
            Path p = Path.of(candidate);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** Starts HAProxy in front of 127.0.0.1:{@code backendPort}; fails with {@link #NOT_INSTALLED} without it. */
    public static Haproxy inFrontOf(int backendPort) throws IOException, InterruptedException {
        return inFrontOf(backendPort, null);
    }

    /**
     * {@link #inFrontOf(int)}; with {@code pem} (a certificate and its private key, PEM) HAProxy terminates TLS on its
     * front ({@code ssl crt PEM alpn h2}) and speaks TLS with ALPN h2 to the backend ({@code ssl verify none alpn h2}:
     * the tests' generated key), as issue 16's deployments do; null: h2c on both sides.
     */
    public static Haproxy inFrontOf(int backendPort, Path pem) throws IOException, InterruptedException {
        Path exe = executable();
        if (exe == null) {
            throw new IllegalStateException(NOT_INSTALLED);
        }
        int port = freePort();
        String cfg = String.join("\n",
                "global",
                "  log stdout format raw local0",
                "defaults",
                "  mode http",
                "  log global",
                "  option httplog",
                "  timeout connect 5s",
                "  timeout client 30s",
                "  timeout server 30s",
                "frontend fe",
                "  bind 127.0.0.1:" + port + (pem == null ? " proto h2" : " ssl crt " + pem + " alpn h2"),
                "  default_backend be",
                "backend be",
                "  server s1 127.0.0.1:" + backendPort + (pem == null ? " proto h2" : " ssl verify none alpn h2"),
                "");
        Path config = Files.createTempFile("h2patch-haproxy", ".cfg");
        Files.writeString(config, cfg);
        Process process = new ProcessBuilder(exe.toString(), "-db", "-f", config.toString())
                .redirectErrorStream(true).start();
        Haproxy haproxy = new Haproxy(process, port, config);
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                haproxy.close();
                throw new IOException("haproxy exited with " + process.exitValue() + ":\n" + haproxy.log());
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return haproxy;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        haproxy.close();
        throw new IOException("haproxy did not listen on " + port + " within 10 s:\n" + haproxy.log());
    }

    /** HAProxy's front port on 127.0.0.1 (h2c, or TLS with ALPN h2). */
    public int port() {
        return port;
    }

    /** What HAProxy printed so far (one httplog line per request, e.g. session state {@code SD--}). */
    public String log() {
        synchronized (output) {
            return String.join("\n", output);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Override
    public void close() {
        ProcessHandle handle = process.toHandle();
        handle.destroy();
        try {
            if (!process.waitFor(3, TimeUnit.SECONDS)) {
                handle.destroyForcibly();
                process.waitFor(3, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            Files.deleteIfExists(config);
        } catch (IOException ignored) {
            // a temp file
        }
    }

    @Override
    public String toString() {
        return "haproxy on 127.0.0.1:" + port;
    }
}
