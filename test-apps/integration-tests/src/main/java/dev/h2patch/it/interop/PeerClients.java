package dev.h2patch.it.interop;

import dev.h2patch.it.Haproxy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The peers of the interop suite, each asked one thing against a port: grpc-go (direct and through Go's cmux),
 * grpc-js, Node http2, curl, nghttp, h2load, and HAProxy in front of any of them. Each returns the short cell the
 * report shows ({@link PeerOutput} reads the peer's output); a peer that cannot run throws
 * {@link Peers.Unavailable}.
 */
public final class PeerClients {
    private PeerClients() {}

    /** The deadline of one peer run. */
    static final Duration T = Duration.ofSeconds(20);

    static String grpcGo(int port, String mode) throws Exception {
        String exe = Peers.exe("grpc-go-client");
        return Peers.run(List.of(exe, "-addr", "127.0.0.1:" + port, "-mode", mode, "-timeout", "3s"), T).output()
                .strip();
    }

    static String viaCmux(int port, String match) throws Exception {
        String exe = Peers.exe("cmux-front");
        try (Peers.Daemon cmux = new Peers.Daemon(List.of(exe, "-backend", "127.0.0.1:" + port, "-match", match))) {
            return grpcGo(cmux.port, "health");
        }
    }

    static String node(List<String> args) throws Exception {
        String exe = Peers.exe("node");
        List<String> cmd = new ArrayList<>(List.of(exe));
        cmd.addAll(args);
        return Peers.run(cmd, T).output().strip();
    }

    static String grpcJs(int port, String mode, int timeoutMs) throws Exception {
        Path script = Peers.interopDir().resolve("node/grpc-js-client.js");
        if (!Files.isDirectory(Peers.interopDir().resolve("node/node_modules/@grpc/grpc-js"))) {
            throw new Peers.Unavailable("@grpc/grpc-js is not installed (npm ci in test-apps/interop/node)");
        }
        return PeerOutput.grpcJs(node(List.of(script.toString(), "--port", "" + port, "--mode", mode,
                "--timeout-ms", "" + timeoutMs, "--stream-ms", "1000")));
    }

    static String nodeUpload(int port, int streamMs) throws Exception {
        Path script = Peers.interopDir().resolve("node/reject-upload.js");
        return PeerOutput.nodeUpload(node(List.of(script.toString(), "--port", "" + port, "--stream-ms",
                "" + streamMs, "--timeout-ms", "6000")));
    }

    static String curl(int port, String method, String path, Path body) throws Exception {
        String exe = Peers.exe("curl");
        List<String> cmd = new ArrayList<>(List.of(exe, "-s", "-o", "/dev/null", "--http2-prior-knowledge",
                "--max-time", "5", "-w", "HTTP %{http_code} (%{http_version}), %{size_download} body bytes",
                "-X", method));
        if (body != null) {
            cmd.addAll(List.of("-H", "content-type: application/grpc", "-H", "te: trailers", "--data-binary",
                    "@" + body));
        }
        cmd.add("http://127.0.0.1:" + port + path);
        Peers.Run r = Peers.run(cmd, T);
        return r.output().strip() + (r.exit() == 0 ? "" : ", curl exit " + r.exit());
    }

    /** nghttp -v, the response frames on the request's stream: e.g. {@code HEADERS, DATA[0]+ES}. */
    static String nghttp(int port, String path, Path body) throws Exception {
        return nghttpUrl("http://127.0.0.1:" + port + path, body);
    }

    /** {@link #nghttp} over TLS (ALPN h2; nghttp does not check the certificate, the tests' generated one). */
    public static String nghttpTls(int port, String path, Path body) throws Exception {
        return nghttpUrl("https://127.0.0.1:" + port + path, body);
    }

    /** Whether the peer {@code name} is installed (test-apps/interop/target or PATH). */
    public static boolean installed(String name) {
        try {
            Peers.exe(name);
            return true;
        } catch (Peers.Unavailable e) {
            return false;
        }
    }

    private static String nghttpUrl(String url, Path body) throws Exception {
        String exe = Peers.exe("nghttp");
        Peers.Run r = Peers.run(List.of(exe, "-v", "-n", "-t", "8", "-H", "content-type: application/grpc",
                "-H", "te: trailers", "-d", body.toString(), url), T);
        return PeerOutput.nghttpFrames(r.output(), r.exit());
    }

    /** {@code client} run against an HAProxy in front of {@code port}; HAProxy's session state appended. */
    static String viaHaproxy(int port, Scenarios.Probe client) throws Exception {
        if (Haproxy.executable() == null) {
            throw new Peers.Unavailable(Haproxy.NOT_INSTALLED);
        }
        try (Haproxy h = Haproxy.inFrontOf(port)) {
            String result = client.run(h.port());
            Thread.sleep(200);
            String state = PeerOutput.haproxyState(h.log());
            return result + (state == null ? "" : "; haproxy " + state);
        }
    }

    /** h2load holds 5 slow streams, curl asks the app to shut down 1 s later: what h2load and curl saw. */
    static String shutdownUnderLoad(int port) throws Exception {
        String h2load = Peers.exe("h2load");
        Process load = new ProcessBuilder(h2load, "-n5", "-c1", "-m5", "-T", "10",
                "http://127.0.0.1:" + port + "/slow?ms=3000").redirectErrorStream(true).start();
        Thread.sleep(1000);
        String admin = curl(port, "GET", "/admin/shutdown", null);
        if (!load.waitFor(15, TimeUnit.SECONDS)) {
            load.destroyForcibly();
        }
        String out = new String(load.getInputStream().readAllBytes());
        return "h2load " + PeerOutput.h2loadCounts(out) + "; shutdown: " + admin.replaceAll(" \\(.*", "");
    }

    static String haproxyExe() {
        Path p = Haproxy.executable();
        return p == null ? "haproxy" : p.toString();
    }
}
