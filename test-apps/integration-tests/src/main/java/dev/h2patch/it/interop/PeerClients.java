package dev.h2patch.it.interop;

import dev.h2patch.it.Haproxy;
import dev.h2patch.it.TlsKeys;

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
 * {@link Peers.Unavailable}. With {@code tls} a peer speaks TLS with ALPN h2 to an app started in its {@code --tls}
 * mode: grpc-go, grpc-js and Node trust the tests' certificate ({@link TlsKeys#pem}), curl, nghttp, h2load and
 * HAProxy's backend side accept any certificate.
 */
public final class PeerClients {
    private PeerClients() {}

    /** The deadline of one peer run. */
    static final Duration T = Duration.ofSeconds(20);

    static String grpcGo(int port, String mode, boolean tls) throws Exception {
        String exe = Peers.exe("grpc-go-client");
        List<String> cmd = new ArrayList<>(List.of(exe, "-addr", "127.0.0.1:" + port, "-mode", mode, "-timeout",
                "3s"));
        if (tls) {
            cmd.add("-tls");
        }
        return Peers.run(cmd, T).output().strip();
    }

    static String viaCmux(int port, String match) throws Exception {
        String exe = Peers.exe("cmux-front");
        try (Peers.Daemon cmux = new Peers.Daemon(List.of(exe, "-backend", "127.0.0.1:" + port, "-match", match))) {
            return grpcGo(cmux.port, "health", false);
        }
    }

    static String node(List<String> args) throws Exception {
        String exe = Peers.exe("node");
        List<String> cmd = new ArrayList<>(List.of(exe));
        cmd.addAll(args);
        return Peers.run(cmd, T).output().strip();
    }

    static String grpcJs(int port, String mode, int timeoutMs, boolean tls) throws Exception {
        Path script = Peers.interopDir().resolve("node/grpc-js-client.js");
        if (!Files.isDirectory(Peers.interopDir().resolve("node/node_modules/@grpc/grpc-js"))) {
            throw new Peers.Unavailable("@grpc/grpc-js is not installed (npm ci in test-apps/interop/node)");
        }
        List<String> args = new ArrayList<>(List.of(script.toString(), "--port", "" + port, "--mode", mode,
                "--timeout-ms", "" + timeoutMs, "--stream-ms", "1000"));
        addCa(args, tls);
        return PeerOutput.grpcJs(node(args));
    }

    static String nodeUpload(int port, int streamMs, boolean tls) throws Exception {
        Path script = Peers.interopDir().resolve("node/reject-upload.js");
        List<String> args = new ArrayList<>(List.of(script.toString(), "--port", "" + port, "--stream-ms",
                "" + streamMs, "--timeout-ms", "6000"));
        addCa(args, tls);
        return PeerOutput.nodeUpload(node(args));
    }

    /** The Node peers' {@code --ca PEM}: TLS, trusting the tests' certificate. */
    private static void addCa(List<String> args, boolean tls) throws Exception {
        if (tls) {
            args.addAll(List.of("--ca", TlsKeys.pem().toString()));
        }
    }

    /** curl over h2c by prior knowledge, or with {@code tls} over TLS with ALPN h2 ({@code --http2 -k}). */
    static String curl(int port, String method, String path, Path body, boolean tls) throws Exception {
        String exe = Peers.exe("curl");
        List<String> cmd = new ArrayList<>(List.of(exe, "-s", "-o", "/dev/null"));
        cmd.addAll(tls ? List.of("--http2", "-k") : List.of("--http2-prior-knowledge"));
        cmd.addAll(List.of("--max-time", "5", "-w", "HTTP %{http_code} (%{http_version}), %{size_download} body bytes",
                "-X", method));
        if (body != null) {
            cmd.addAll(List.of("-H", "content-type: application/grpc", "-H", "te: trailers", "--data-binary",
                    "@" + body));
        }
        cmd.add(url(port, path, tls));
        Peers.Run r = Peers.run(cmd, T);
        return r.output().strip() + (r.exit() == 0 ? "" : ", curl exit " + r.exit());
    }

    private static String url(int port, String path, boolean tls) {
        return (tls ? "https" : "http") + "://127.0.0.1:" + port + path;
    }

    /** nghttp -v, the response frames on the request's stream: e.g. {@code HEADERS, DATA[0]+ES}. */
    static String nghttp(int port, String path, Path body, boolean tls) throws Exception {
        return nghttpUrl(url(port, path, tls), body);
    }

    /** {@link #nghttp} over TLS (ALPN h2; nghttp does not check the certificate, the tests' generated one). */
    public static String nghttpTls(int port, String path, Path body) throws Exception {
        return nghttp(port, path, body, true);
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

    /** {@code client} run against an HAProxy in front of {@code port}, HAProxy's session state appended; with
     * {@code tls}, TLS with ALPN h2 on both of HAProxy's sides. */
    static String viaHaproxy(int port, Scenarios.Probe client, boolean tls) throws Exception {
        if (Haproxy.executable() == null) {
            throw new Peers.Unavailable(Haproxy.NOT_INSTALLED);
        }
        try (Haproxy h = Haproxy.inFrontOf(port, tls ? TlsKeys.pem() : null)) {
            String result = client.run(h.port());
            Thread.sleep(200);
            String state = PeerOutput.haproxyState(h.log());
            return result + (state == null ? "" : "; haproxy " + state);
        }
    }

    /** h2load holds 5 slow streams, curl asks the app to shut down 1 s later: what h2load and curl saw (with
     * {@code tls}, both over TLS with ALPN h2). */
    static String shutdownUnderLoad(int port, boolean tls) throws Exception {
        String h2load = Peers.exe("h2load");
        Process load = new ProcessBuilder(h2load, "-n5", "-c1", "-m5", "-T", "10", url(port, "/slow?ms=3000", tls))
                .redirectErrorStream(true).start();
        Thread.sleep(1000);
        String admin = curl(port, "GET", "/admin/shutdown", null, tls);
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
