package dev.h2patch.it.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Haproxy;
import dev.h2patch.it.Repo;
import dev.h2patch.it.harness.Cli;
import dev.h2patch.it.harness.NodeH2cServer;
import dev.h2patch.it.harness.RequiredPeer;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.TestPeers;
import dev.h2patch.it.harness.Wire;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code java -jar h2patch-agent.jar probe URL} (issue 19, docs/probe.md) run as an operator runs it, against real
 * servers in child processes: the test apps without and with the agent must get opposite verdicts on each bug they
 * have (so a probe that printed fixed verdicts fails here), and servers nobody here wrote — grpc-java's own server,
 * Node's http2 server — get what they really do on the wire.
 */
@Timeout(180)
class ProbeTest {
    private static final int BUG = 11;
    private static final int UNREACHABLE = 12;
    private static final String FAIL = "/h2patch.Test/Fail";
    private static final String REJECT_UPLOAD = "/h2patch.Test/RejectUpload";

    /** A Netty app and a Jetty app with both the end-stream and the proxy-safe-reset bug (the catalog's claims). */
    static Stream<String> buggyApps() {
        return Stream.of(TestApps.NETTY, TestApps.app("jetty121-server"));
    }

    private static Cli.Result probe(int port, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("probe", "http://127.0.0.1:" + port, "--json"));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(new String[0]));
    }

    /** The verdict word of {@code check} in --json output. */
    private static String verdict(Cli.Result r, String check) {
        String verdict = r.verdict(check);
        assertTrue(verdict != null, "no verdict for " + check + " in:\n" + r);
        return verdict;
    }

    private static String saw(Cli.Result r, String check) {
        String saw = r.saw(check);
        assertTrue(saw != null, "no verdict for " + check + " in:\n" + r);
        return saw;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("buggyApps")
    void testAppsGetBugWithoutTheAgentAndOkWithIt(String app) throws Exception {
        Cli.Result without;
        try (ChildJvm child = ChildJvm.app(app).start()) {
            without = probe(child.port(), "--grpc-method", FAIL, "--upload-path", REJECT_UPLOAD);
            String ctx = "\n" + without + "\n" + child.describeOutput();
            assertEquals(BUG, without.exit(), ctx);
            assertEquals("BUG", verdict(without, "end-stream"), ctx);
            assertTrue(saw(without, "end-stream").contains("grpc-status 5), DATA(0, END_STREAM)"), ctx);
            assertEquals("BUG", verdict(without, "proxy-safe-reset"), ctx);
            assertTrue(saw(without, "proxy-safe-reset").contains("RST_STREAM(CANCEL)"), ctx);
            assertEquals("ok", verdict(without, "early-settings"), ctx);
            assertEquals("unlikely", verdict(without, "h2patch"), ctx);
        }
        try (ChildJvm child = Wire.withAgentUnderTest(app, null).start()) {
            Cli.Result with = probe(child.port(), "--grpc-method", FAIL, "--upload-path", REJECT_UPLOAD);
            String ctx = "\n" + with + "\nwithout the agent:\n" + without + "\n" + child.describeOutput();
            assertEquals(0, with.exit(), ctx);
            assertEquals("ok", verdict(with, "end-stream"), ctx);
            assertTrue(saw(with, "end-stream").contains("grpc-status 5, END_STREAM)"), ctx);
            assertEquals("ok", verdict(with, "proxy-safe-reset"), ctx);
            assertEquals("ok", verdict(with, "early-settings"), ctx);
            assertEquals("unknown", verdict(with, "connection-state"), ctx);
            assertTrue(saw(with, "connection-state").contains("PING answered in"), ctx);
        }
    }

    /**
     * Jetty's h2c-only connector waits for the client's preface; with the agent it sends SETTINGS at connection open
     * (docs/fixes/early-settings.md). Both are ok for grpc-go; the probe must tell them apart.
     */
    @Test
    void jettyH2cOnlyPortSpeaksFirstOnlyWithTheAgent() throws Exception {
        String app = TestApps.app("jetty121-server");
        try (ChildJvm child = ChildJvm.app(app).appArg("--h2c-only").start()) {
            Cli.Result r = probe(child.port(), "--timeout", "1500ms");
            String ctx = "\n" + r + "\n" + child.describeOutput();
            assertEquals("ok", verdict(r, "early-settings"), ctx);
            assertTrue(saw(r, "early-settings").startsWith("silent until the client spoke"), ctx);
        }
        try (ChildJvm child = Wire.withAgentUnderTest(app, null).appArg("--h2c-only").start()) {
            Cli.Result r = probe(child.port(), "--timeout", "1500ms");
            String ctx = "\n" + r + "\n" + child.describeOutput();
            assertEquals("ok", verdict(r, "early-settings"), ctx);
            assertTrue(saw(r, "early-settings").contains("before the client spoke"), ctx);
        }
    }

    /** The in-process port sniffer (docs/fixes/early-settings.md): silent after the preface, until the agent answers. */
    @Test
    void snifferGetsEarlySettingsBugWithoutTheAgentAndOkWithIt() throws Exception {
        String app = TestApps.only("Netty", "sniffer", true);
        try (ChildJvm child = ChildJvm.app(app).start()) {
            Cli.Result r = probe(child.port(), "--timeout", "1500ms");
            String ctx = "\n" + r + "\n" + child.describeOutput();
            assertEquals(BUG, r.exit(), ctx);
            assertEquals("BUG", verdict(r, "early-settings"), ctx);
        }
        try (ChildJvm child = Wire.withAgentUnderTest(app, null).start()) {
            Cli.Result r = probe(child.port(), "--timeout", "1500ms");
            String ctx = "\n" + r + "\n" + child.describeOutput();
            assertEquals("ok", verdict(r, "early-settings"), ctx);
            assertTrue(saw(r, "early-settings").contains("after the client's preface, before any request"), ctx);
            assertEquals("possible", verdict(r, "h2patch"), ctx);
            assertEquals(0, r.exit(), ctx);
        }
    }

    /** grpc-java's own server (docs/bugs.md: not affected): UNIMPLEMENTED as one HEADERS(END_STREAM), no reset. */
    @Test
    void realGrpcJavaServerIsOk() throws Exception {
        try (ChildJvm child = ChildJvm.app(TestApps.app("grpc-server")).start()) {
            Cli.Result r = probe(child.port());
            String ctx = "\n" + r + "\n" + child.describeOutput();
            assertEquals(0, r.exit(), ctx);
            assertEquals("ok", verdict(r, "early-settings"), ctx);
            assertEquals("ok", verdict(r, "end-stream"), ctx);
            assertTrue(saw(r, "end-stream").contains("grpc-status 12, END_STREAM)"), ctx);
            assertEquals("ok", verdict(r, "proxy-safe-reset"), ctx);
            assertEquals("unknown", verdict(r, "h2patch"), ctx);
        }
    }

    /**
     * Node's http2 server (nghttp2 inside), which nobody here wrote: it answers anything with text, so end-stream is
     * unknown (not gRPC), and it resets a request still being sent after its complete response with NO_ERROR — the
     * reset HAProxy turns into CANCEL — so proxy-safe-reset is BUG.
     */
    @Test
    void nodeHttp2Server() throws Exception {
        TestPeers.node(); // skips (or fails where peers are required) without node
        try (NodeH2cServer node = NodeH2cServer.start(0)) {
            Cli.Result r = probe(node.port());
            String ctx = "\n" + r + "\nnode:\n" + node.log();
            assertEquals("ok", verdict(r, "early-settings"), ctx);
            assertEquals("unknown", verdict(r, "end-stream"), ctx);
            assertEquals("BUG", verdict(r, "proxy-safe-reset"), ctx);
            assertTrue(saw(r, "proxy-safe-reset").contains("RST_STREAM(NO_ERROR)"), ctx);
            assertEquals(BUG, r.exit(), ctx);
        }
    }

    /**
     * Go's own HTTP/2 stacks (test-apps/interop/go-h2-server): grpc-go answers an unknown method as one
     * HEADERS(END_STREAM), and like x/net/http2 resets a request still being sent after its complete response with
     * NO_ERROR — the reset HAProxy turns into CANCEL (haproxy/haproxy#1219).
     */
    @Test
    void goServers() throws Exception {
        try (Peer grpc = Peer.start(goPeer("go-h2-server"), "-mode", "grpc")) {
            Cli.Result r = probe(grpc.port);
            String ctx = "\n" + r + "\n" + grpc.output();
            assertEquals("ok", verdict(r, "early-settings"), ctx);
            assertEquals("ok", verdict(r, "end-stream"), ctx);
            assertTrue(saw(r, "end-stream").contains("grpc-status 12, END_STREAM)"), ctx);
            assertEquals("BUG", verdict(r, "proxy-safe-reset"), ctx);
            assertTrue(saw(r, "proxy-safe-reset").contains("RST_STREAM(NO_ERROR)"), ctx);
            assertEquals(BUG, r.exit(), ctx);
        }
        try (Peer http = Peer.start(goPeer("go-h2-server"), "-mode", "http")) {
            Cli.Result r = probe(http.port);
            String ctx = "\n" + r + "\n" + http.output();
            assertEquals("unknown", verdict(r, "end-stream"), ctx);
            assertEquals("BUG", verdict(r, "proxy-safe-reset"), ctx);
            assertTrue(saw(r, "proxy-safe-reset").contains("RST_STREAM(NO_ERROR)"), ctx);
        }
    }

    /**
     * Go's cmux as the port sniffer in front of grpc-java's server (test-apps/interop/cmux-front): silent until the
     * request with -match grpc-header (BUG); with cmux's own work-around (MatchWithWriters) it answers with an empty
     * SETTINGS, which is also h2patch's answer, so the h2patch line may say only "possible" — never more.
     */
    @Test
    void goCmuxSniffer() throws Exception {
        try (ChildJvm backend = ChildJvm.app(TestApps.app("grpc-server")).start()) {
            String backendAddress = "127.0.0.1:" + backend.port();
            try (Peer cmux = Peer.start(goPeer("cmux-front"), "-match", "grpc-header", "-backend", backendAddress)) {
                Cli.Result r = probe(cmux.port, "--timeout", "1500ms");
                String ctx = "\n" + r + "\n" + cmux.output();
                assertEquals("BUG", verdict(r, "early-settings"), ctx);
                assertEquals("ok", verdict(r, "end-stream"), ctx);
                assertEquals(BUG, r.exit(), ctx);
            }
            try (Peer cmux = Peer.start(goPeer("cmux-front"), "-match", "grpc-header-settings", "-backend",
                    backendAddress)) {
                Cli.Result r = probe(cmux.port, "--timeout", "1500ms");
                String ctx = "\n" + r + "\n" + cmux.output();
                assertEquals("ok", verdict(r, "early-settings"), ctx);
                assertEquals("possible", verdict(r, "h2patch"), ctx);
                assertEquals(0, r.exit(), ctx);
            }
        }
    }

    /** A built Go peer under test-apps/interop/target; skips (or fails where peers are required) without it. */
    private static Path goPeer(String name) {
        Path exe = Repo.root().resolve("test-apps/interop/target").resolve(name);
        RequiredPeer.require(java.nio.file.Files.isExecutable(exe),
                name + " is not built (run test-apps/interop/install-peers.sh)");
        return exe;
    }

    /** A child process that prints "READY <port>" first; destroyed on close. */
    private static final class Peer implements AutoCloseable {
        final Process process;
        final int port;
        private final StringBuilder output = new StringBuilder();

        private Peer(Process process, int port) {
            this.process = process;
            this.port = port;
        }

        static Peer start(Path exe, String... args) throws Exception {
            List<String> command = new ArrayList<>(List.of(exe.toString()));
            command.addAll(List.of(args));
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream()));
            String ready = out.readLine();
            if (ready == null || !ready.startsWith("READY ")) {
                p.destroyForcibly();
                throw new IllegalStateException(command + " did not print READY: " + ready);
            }
            Peer peer = new Peer(p, Integer.parseInt(ready.substring(6).trim()));
            Thread pump = new Thread(() -> {
                try {
                    for (String line; (line = out.readLine()) != null; ) {
                        synchronized (peer.output) {
                            peer.output.append(line).append('\n');
                        }
                    }
                } catch (java.io.IOException ignored) {
                    // process gone
                }
            });
            pump.setDaemon(true);
            pump.start();
            return peer;
        }

        String output() {
            synchronized (output) {
                return output.length() == 0 ? "(no output)" : output.toString();
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

    /** HAProxy 2.6 in front of the Netty app: the CANCEL its clients see, and none with the agent in the backend. */
    @Test
    void throughHaproxy() throws Exception {
        RequiredPeer.require(Haproxy.executable() != null, Haproxy.NOT_INSTALLED);
        String app = TestApps.NETTY;
        try (ChildJvm child = ChildJvm.app(app).start(); Haproxy proxy = Haproxy.inFrontOf(child.port())) {
            Cli.Result r = probe(proxy.port(), "--grpc-method", FAIL, "--upload-path", REJECT_UPLOAD);
            String ctx = "\n" + r + "\nhaproxy:\n" + proxy.log() + "\n" + child.describeOutput();
            assertEquals(BUG, r.exit(), ctx);
            assertEquals("BUG", verdict(r, "proxy-safe-reset"), ctx);
            assertTrue(saw(r, "proxy-safe-reset").contains("RST_STREAM(CANCEL)"), ctx);
            // end-stream through HAProxy is intermittent (HAProxy sometimes merges the two frames): not asserted
            // without the agent; with it, the one HEADERS(END_STREAM) is deterministic.
        }
        try (ChildJvm child = Wire.withAgentUnderTest(app, null).start();
             Haproxy proxy = Haproxy.inFrontOf(child.port())) {
            Cli.Result r = probe(proxy.port(), "--grpc-method", FAIL, "--upload-path", REJECT_UPLOAD);
            String ctx = "\n" + r + "\nhaproxy:\n" + proxy.log() + "\n" + child.describeOutput();
            assertEquals("ok", verdict(r, "proxy-safe-reset"), ctx);
            assertEquals("ok", verdict(r, "end-stream"), ctx);
            assertEquals(0, r.exit(), ctx);
        }
    }

    /**
     * TLS with ALPN h2 against Node's http2.createSecureServer and a self-signed certificate made here with keytool:
     * refused without --insecure (exit 12, with the hint), probed with it, probed without it once the JVM trusts the
     * certificate, and refused again when --sni names a host the certificate is not for.
     */
    @Test
    void tlsWithAlpn(@TempDir Path dir) throws Exception {
        Path node = TestPeers.node();
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Path keys = dir.resolve("server.p12");
        Path cert = dir.resolve("server.cer");
        Path trust = dir.resolve("trust.p12");
        exec(keytool.toString(), "-genkeypair", "-alias", "probe", "-keyalg", "RSA", "-keysize", "2048", "-validity",
                "2", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost", "-storetype", "PKCS12", "-keystore",
                keys.toString(), "-storepass", "changeit", "-keypass", "changeit");
        exec(keytool.toString(), "-exportcert", "-alias", "probe", "-keystore", keys.toString(), "-storepass",
                "changeit", "-file", cert.toString());
        exec(keytool.toString(), "-importcert", "-noprompt", "-alias", "probe", "-file", cert.toString(),
                "-storetype", "PKCS12", "-keystore", trust.toString(), "-storepass", "changeit");
        Process server = new ProcessBuilder(node.toString(), Repo.root()
                .resolve("test-apps/interop/node/h2-tls-server.js").toString(), "--pfx", keys.toString(),
                "--passphrase", "changeit").redirectErrorStream(true).start();
        try {
            String ready = new BufferedReader(new InputStreamReader(server.getInputStream()))
                    .readLine();
            assertTrue(ready != null && ready.startsWith("READY "), "node h2-tls-server.js: " + ready);
            String url = "https://localhost:" + ready.substring(6).trim();

            Cli.Result untrusted = Cli.run("probe", url);
            assertEquals(UNREACHABLE, untrusted.exit(), untrusted.toString());
            assertTrue(untrusted.err().contains("TLS handshake failed") && untrusted.err().contains("--insecure"),
                    untrusted.toString());

            Cli.Result insecure = Cli.run("probe", url, "--insecure", "--json");
            String ctx = "\n" + insecure;
            assertTrue(insecure.out().contains("\"transport\":\"TLS, ALPN h2\""), ctx);
            assertEquals("ok", verdict(insecure, "early-settings"), ctx);
            assertEquals("unknown", verdict(insecure, "end-stream"), ctx);
            assertEquals("BUG", verdict(insecure, "proxy-safe-reset"), ctx);
            assertEquals(BUG, insecure.exit(), ctx);

            // JDK_JAVA_OPTIONS: read by the java launcher of the probe's JVM (Cli strips only JAVA_TOOL_OPTIONS).
            List<String> trusting = List.of("env", "JDK_JAVA_OPTIONS=-Djavax.net.ssl.trustStore=" + trust
                    + " -Djavax.net.ssl.trustStorePassword=changeit");
            Path javaExe = Path.of(System.getProperty("java.home"), "bin", "java");
            Cli.Result trusted = Cli.runWith(trusting, javaExe, "probe", url, "--json");
            assertEquals(BUG, trusted.exit(), trusted.toString());
            assertEquals("ok", verdict(trusted, "early-settings"), trusted.toString());

            Cli.Result otherName = Cli.runWith(trusting, javaExe, "probe", url, "--sni", "not-localhost.example");
            assertEquals(UNREACHABLE, otherName.exit(), otherName.toString());
            assertTrue(otherName.err().contains("TLS handshake failed"), otherName.toString());
        } finally {
            server.destroy();
            server.waitFor(5, TimeUnit.SECONDS);
        }
    }

    private static void exec(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertEquals(0, p.waitFor(), String.join(" ", command) + "\n" + out);
    }

    @Test
    void verboseTableShowsTheFrames() throws Exception {
        try (ChildJvm child = ChildJvm.app(TestApps.NETTY).start()) {
            Cli.Result r = Cli.run("probe", "http://127.0.0.1:" + child.port(), "-v", "--grpc-method", FAIL);
            String ctx = "\n" + r;
            assertEquals(BUG, r.exit(), ctx);
            assertTrue(r.out().contains("recv HEADERS stream=1 flags=END_HEADERS\n      :status: 200"), ctx);
            assertTrue(r.out().contains("recv DATA stream=1 length=0 flags=END_STREAM"), ctx);
            assertTrue(r.out().contains("end-stream        BUG       end-stream"), ctx);
            assertTrue(r.out().contains("Note: verdicts describe the whole path"), ctx);
        }
    }

    @Test
    void noServerIsAConnectionErrorNotAVerdict() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Cli.Result refused = Cli.run("probe", "http://127.0.0.1:" + port);
        assertEquals(UNREACHABLE, refused.exit(), refused.toString());
        assertTrue(refused.err().startsWith("h2patch: probe: http://127.0.0.1:" + port + ": cannot connect"),
                refused.toString());
        // A server that accepts and never speaks HTTP/2, then closes: every step ends within its timeout.
        try (ServerSocket silent = new ServerSocket(0)) {
            Thread closer = new Thread(() -> {
                try (var s = silent.accept()) {
                    s.getOutputStream().write("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n".getBytes());
                } catch (Exception ignored) {
                    // test ends
                }
            });
            closer.start();
            Cli.Result http1 = Cli.run("probe", "http://127.0.0.1:" + silent.getLocalPort(), "--timeout", "500ms");
            assertEquals(UNREACHABLE, http1.exit(), http1.toString());
            assertTrue(http1.err().contains("HTTP/1.x, not HTTP/2"), http1.toString());
            closer.join(5000);
        }
        Cli.Result usage = Cli.run("probe", "ftp://127.0.0.1:1");
        assertEquals(2, usage.exit(), usage.toString());
    }
}
