package dev.h2patch.it.earlysettings;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.NodeH2cServer;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.TestPeers;
import dev.h2patch.it.harness.Wire;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * early-settings must not write into a connection that this process does not serve as HTTP/2 (issue 13, part 2).
 * netty-relay-server (Netty 4.1, the HTTP/2 codec on its class path, no HTTP/2 handler in any pipeline) relays each
 * connection to Node's {@code http2.createServer} (nghttp2), which answers after 500 ms. A server preface written by
 * the agent would be a second SETTINGS in front of Node's; the client ACKs both and Node fails the session on the ACK
 * of SETTINGS it never sent. With the agent, every client must get all its answers and see exactly one SETTINGS.
 *
 * <p>Two relay shapes: HexDumpProxy (the backend connection first, then each read written on: the preface is passed
 * on, never held) and {@code --connect-on-first-read} (the preface waits in a buffer field of the handler while the
 * backend connection is opened: only the handler's reference to that connection tells it from a sniffer).
 */
@Timeout(180)
class RelayTest {
    static final String RELAY = TestApps.only("Netty", "relay", true);
    static final long BACKEND_DELAY_MS = 500;
    static final String HELLO = "hello from node\n";
    static final int RUNS = 5;

    /**
     * The fix these tests hold to "leave the relay alone" is installed in the relay: without this, an agent whose
     * early-settings never installed would pass them.
     */
    static void assertEarlySettingsActive(ChildJvm child) {
        assertTrue(child.stderrLines().stream().anyMatch(l -> l.contains("early-settings: active for Netty")),
                "early-settings is active in the relay\n" + child.describeOutput());
    }

    static ChildJvm relay(int backendPort, String mode) throws IOException, InterruptedException {
        ChildJvm.Builder b = ChildJvm.app(RELAY).agent().appArg("--backend", "127.0.0.1:" + backendPort);
        if (mode.equals("connect-on-first-read")) {
            b.appArg("--connect-on-first-read");
        }
        return b.start();
    }

    /**
     * A raw client that behaves like grpc-go: preface and SETTINGS, then nothing until the server's SETTINGS have
     * arrived; then three requests on the connection. Exactly one server SETTINGS (Node's), three answers.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"hexdump", "connect-on-first-read"})
    void rawClientSeesOnlyTheBackendsSettingsWithAgent(String mode) throws Exception {
        try (NodeH2cServer node = NodeH2cServer.start(BACKEND_DELAY_MS);
             ChildJvm child = relay(node.port(), mode)) {
            for (int connection = 0; connection < 2; connection++) { // the first one also loads the patched classes
                try (FrameRecorder r = FrameRecorder.connect(child.port())) {
                    r.sendPreface();
                    assertTrue(r.awaitServerSettings(FrameRecorder.DEFAULT_TIMEOUT) >= 0,
                            "no SETTINGS through the relay\n" + r.describe() + child.describeOutput());
                    Thread.sleep(100); // let a second SETTINGS, if any, arrive and be ACKed before the requests
                    List<Integer> ids = new ArrayList<>();
                    for (int i = 0; i < 3; i++) {
                        ids.add(r.request(Request.get("/relay/" + connection + "/" + i)));
                    }
                    for (int id : ids) {
                        r.awaitStreamEnd(id, Duration.ofSeconds(5));
                    }
                    List<Frame> frames = r.readFor(Duration.ofMillis(300));
                    String ctx = " (" + mode + ", connection " + connection + ")\nframes:\n" + r.describe()
                            + "\nnode:\n" + node.log() + "\n" + child.describeOutput();
                    List<Frame> settings = frames.stream().filter(f -> f.is(Frame.SETTINGS) && !f.ack())
                            .collect(Collectors.toList());
                    assertEquals(1, settings.size(), "exactly one server SETTINGS, the backend's" + ctx);
                    assertTrue(frames.stream().noneMatch(f -> f.is(Frame.GOAWAY) || f.is(Frame.RST_STREAM)),
                            "no GOAWAY, no RST_STREAM" + ctx);
                    for (int id : ids) {
                        Frame h = r.streamFrames(id).stream().filter(f -> f.is(Frame.HEADERS)).findFirst()
                                .orElse(null);
                        assertTrue(h != null && "200".equals(h.header(":status")) && r.streamEnded(id),
                                "stream " + id + " answered 200" + ctx);
                    }
                    assertEquals(List.of(), node.sessionErrors(), "the backend failed a session" + ctx);
                }
            }
            assertEarlySettingsActive(child);
            Wire.assertCleanStderr(child, Request.get("/clean"));
        }
    }

    /** curl --http2-prior-knowledge, nghttp (5 streams on one connection) and h2load through the relay. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"hexdump", "connect-on-first-read"})
    void curlNghttpAndH2loadGetEveryAnswerWithAgent(String mode) throws Exception {
        Path curl = TestPeers.require("curl", "apt-get install -y curl", "/usr/bin/curl");
        Path nghttp = TestPeers.require("nghttp", "apt-get install -y nghttp2-client", "/usr/bin/nghttp");
        Path h2load = TestPeers.require("h2load", "apt-get install -y nghttp2-client", "/usr/bin/h2load");
        try (NodeH2cServer node = NodeH2cServer.start(BACKEND_DELAY_MS);
             ChildJvm child = relay(node.port(), mode)) {
            String base = "http://127.0.0.1:" + child.port();
            int curlOk = 0;
            List<String> curlRuns = new ArrayList<>();
            for (int i = 0; i < RUNS; i++) {
                Run run = run(curl.toString(), "-sS", "--max-time", "5", "--http2-prior-knowledge", base + "/curl/" + i);
                curlRuns.add(run.toString());
                curlOk += run.exit == 0 && run.output.equals(HELLO) ? 1 : 0;
            }
            String ctx = " (" + mode + ")\nnode:\n" + node.log() + "\n" + child.describeOutput();
            assertEquals(RUNS, curlOk, "curl --http2-prior-knowledge answered: " + curlRuns + ctx);

            List<String> args = new ArrayList<>(List.of(nghttp.toString(), "-nv", "-t", "5"));
            for (int i = 0; i < RUNS; i++) {
                args.add(base + "/nghttp/" + i);
            }
            Run ng = run(args.toArray(new String[0]));
            long settings = ng.output.lines()
                    .filter(l -> l.contains("recv SETTINGS frame") && l.contains("flags=0x00")).count();
            long answered = ng.output.lines().filter(l -> l.contains(":status: 200")).count();
            assertEquals(0, ng.exit, "nghttp exit\n" + ng + ctx);
            assertEquals(1, settings, "nghttp should receive one SETTINGS (Node's)\n" + ng + ctx);
            assertEquals(RUNS, answered, "nghttp: " + RUNS + " streams on one connection answered\n" + ng + ctx);

            Run load = run(h2load.toString(), "-n" + RUNS, "-c1", "-m1", base + "/h2load");
            Matcher m = Pattern.compile("(\\d+) succeeded").matcher(load.output);
            assertTrue(m.find() && Integer.parseInt(m.group(1)) == RUNS, "h2load -n" + RUNS + " -c1 -m1\n" + load + ctx);

            assertEquals(List.of(), node.sessionErrors(), "the backend failed a session" + ctx);
            assertEarlySettingsActive(child);
            Wire.assertCleanStderr(child, Request.get("/clean"));
        }
    }

    /** A Java h2c backend (netty-server, Netty's codec, no agent) behind the relay: one SETTINGS, Netty's. */
    @Test
    void javaBackendBehindTheRelaySendsTheOnlySettingsWithAgent() throws Exception {
        try (ChildJvm backend = ChildJvm.app(TestApps.NETTY).start();
             ChildJvm child = ChildJvm.app(RELAY).agent().appArg("--backend", "127.0.0.1:" + backend.port()).start()) {
            for (int connection = 0; connection < 2; connection++) {
                try (FrameRecorder r = FrameRecorder.connect(child.port())) {
                    r.sendPreface();
                    assertTrue(r.awaitServerSettings(FrameRecorder.DEFAULT_TIMEOUT) >= 0, "no SETTINGS\n"
                            + r.describe() + child.describeOutput());
                    Thread.sleep(100);
                    int id = r.request(Request.get("/relay"));
                    r.awaitStreamEnd(id, Duration.ofSeconds(5));
                    List<Frame> frames = r.readFor(Duration.ofMillis(300));
                    String ctx = "\nframes:\n" + r.describe() + "\n" + child.describeOutput() + "\n"
                            + backend.describeOutput();
                    assertEquals(1, frames.stream().filter(f -> f.is(Frame.SETTINGS) && !f.ack()).count(),
                            "exactly one server SETTINGS, the backend's" + ctx);
                    assertTrue(frames.stream().anyMatch(f -> f.is(Frame.HEADERS) && f.streamId() == id), ctx);
                }
            }
            assertEarlySettingsActive(child);
        }
    }

    record Run(int exit, String output) {
        @Override
        public String toString() {
            return "exit " + exit + ":\n" + output;
        }
    }

    static Run run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            out = in.readAllBytes(); // the tools end on their own (--max-time / -t): read to the end
        }
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Run(-1, "(timed out) " + new String(out, StandardCharsets.UTF_8));
        }
        return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }
}
