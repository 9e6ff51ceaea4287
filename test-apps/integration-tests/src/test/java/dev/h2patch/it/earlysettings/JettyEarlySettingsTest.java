package dev.h2patch.it.earlysettings;

import static dev.h2patch.it.earlysettings.SettingsTiming.h2cPort;
import static dev.h2patch.it.earlysettings.SettingsTiming.BUDGET;
import static dev.h2patch.it.earlysettings.SettingsTiming.SILENCE;
import static dev.h2patch.it.earlysettings.SettingsTiming.best;
import static dev.h2patch.it.earlysettings.SettingsTiming.describe;
import static dev.h2patch.it.earlysettings.SettingsTiming.report;
import static dev.h2patch.it.earlysettings.SettingsTiming.settingsAfterPreface;
import static dev.h2patch.it.earlysettings.SettingsTiming.settingsOnConnect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.GrpcGoClient;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.NodeH2cServer;
import dev.h2patch.it.harness.RequiredPeer;
import dev.h2patch.it.harness.TestApps;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * early-settings on Jetty (issue 4, Jetty part), measured on the wire with a raw client.
 *
 * <p>jetty12-sniffer-server (Jetty 12.0) has a detecting port ({@code READY}: a {@code DetectorConnectionFactory}
 * that waits for the client's first HEADERS) and an h2c-only port ({@code READY-H2C}: default protocol h2c). The other
 * Jetty apps (9.4, 10, 11, 12.0, 12.1) put HTTP/1.1 first, so only the preface can select HTTP/2 there: they are
 * checked after the preface, and for "exactly one SETTINGS and one WINDOW_UPDATE".
 */
class JettyEarlySettingsTest {

    static final String SNIFFER = TestApps.only("Jetty", "sniffer", true);

    /** The Jetty apps whose main port the --h2c-only flag makes h2c only. */
    static Stream<String> h2cOnlyApps() {
        return TestApps.claiming("Jetty", "early-settings", a -> a.hasConnector("h2c-only"));
    }

    /** The Jetty apps whose main port puts HTTP/1.1 first: only the preface can select HTTP/2. */
    static Stream<String> http1FirstApps() {
        return TestApps.claiming("Jetty", "early-settings", a -> a.mainConnector().equals("http11-first"));
    }

    // ------------------------------------------------------------------ h2c-only connector: SETTINGS on connect

    @Test
    void h2cOnlyConnectorSendsNothingOnConnectWithoutAgent() throws Exception {
        try (ChildJvm child = ChildJvm.app(SNIFFER).start()) {
            int port = h2cPort(child);
            settingsAfterPreface(port, SILENCE); // warm-up
            long nanos = settingsOnConnect(port, SILENCE);
            report(SNIFFER + " h2c-only", "no agent", "connect", nanos);
            assertEquals(-1, nanos, "Jetty should say nothing before the client preface: " + describe(nanos));
        }
    }

    @Test
    void h2cOnlyConnectorSendsSettingsOnConnectWithAgent() throws Exception {
        try (ChildJvm child = ChildJvm.app(SNIFFER).agent().start()) {
            int port = h2cPort(child);
            settingsOnConnect(port, SILENCE); // warm-up: loads (and patches) the HTTP/2 classes
            long nanos = best(() -> settingsOnConnect(port, SILENCE));
            report(SNIFFER + " h2c-only", "agent", "connect", nanos);
            assertTrue(nanos >= 0 && nanos <= BUDGET.toNanos(), "SETTINGS should arrive within " + BUDGET.toMillis()
                    + " ms of connect with the agent, got " + describe(nanos) + "\n" + child.describeOutput());
        }
    }

    /** Jetty's SETTINGS and session WINDOW_UPDATE go out once: at open, not again when the client preface arrives. */
    @Test
    void h2cOnlyConnectorSendsSettingsAndWindowUpdateOnceWithAgent() throws Exception {
        try (ChildJvm child = ChildJvm.app(SNIFFER).agent().start();
             FrameRecorder r = FrameRecorder.connect(h2cPort(child))) {
            assertTrue(r.awaitServerSettings(Duration.ofSeconds(2)) >= 0, "no SETTINGS on connect");
            r.sendPreface();
            int stream = r.request(Request.get("/hello"));
            r.awaitStreamEnd(stream, FrameRecorder.DEFAULT_TIMEOUT);
            List<Frame> frames = r.readFor(Duration.ofMillis(300));
            String ctx = "\nframes:\n" + r.describe() + "\n" + child.describeOutput();
            assertEquals(1, frames.stream().filter(f -> f.is(Frame.SETTINGS) && !f.ack()).count(),
                    "one server SETTINGS" + ctx);
            assertEquals(1, frames.stream().filter(f -> f.is(Frame.SETTINGS) && f.ack()).count(),
                    "one ACK of the client's SETTINGS" + ctx);
            assertEquals(1, frames.stream().filter(f -> f.is(Frame.WINDOW_UPDATE) && f.streamId() == 0).count(),
                    "one session WINDOW_UPDATE" + ctx);
            assertTrue(frames.stream().noneMatch(f -> f.is(Frame.GOAWAY) || f.is(Frame.RST_STREAM)), ctx);
            Frame headers = r.streamFrames(stream).stream().filter(f -> f.is(Frame.HEADERS)).findFirst()
                    .orElse(null);
            assertTrue(headers != null && "200".equals(headers.header(":status")), "GET /hello" + ctx);
        }
    }

    // --------------------------------------------------------------- detecting connector: SETTINGS after preface

    @Test
    void detectorNeverSpeaksFirstWithoutAgent() throws Exception {
        try (ChildJvm child = ChildJvm.app(SNIFFER).start()) {
            long onConnect = settingsOnConnect(child.port(), SILENCE);
            long afterPreface = settingsAfterPreface(child.port(), SILENCE);
            report(SNIFFER, "no agent", "connect", onConnect);
            report(SNIFFER, "no agent", "preface", afterPreface);
            assertEquals(-1, onConnect, "the detector should not speak on connect: " + describe(onConnect));
            assertEquals(-1, afterPreface, "the detector should wait for HEADERS: " + describe(afterPreface));
        }
    }

    @Test
    void detectorSendsSettingsAfterPrefaceWithAgent() throws Exception {
        try (ChildJvm child = ChildJvm.app(SNIFFER).agent().start()) {
            settingsAfterPreface(child.port(), SILENCE); // warm-up
            long nanos = best(() -> settingsAfterPreface(child.port(), SILENCE));
            report(SNIFFER, "agent", "preface", nanos);
            assertTrue(nanos >= 0 && nanos <= BUDGET.toNanos(), "SETTINGS should arrive within " + BUDGET.toMillis()
                    + " ms of the client preface with the agent, got " + describe(nanos) + "\n"
                    + child.describeOutput());
        }
    }

    /** Through the detector: the fix's empty SETTINGS, then Jetty's; two requests; one ACK per client SETTINGS. */
    @Test
    void detectorSettingsAccountingWithAgent() throws Exception {
        try (ChildJvm child = ChildJvm.app(SNIFFER).agent().start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            assertTrue(r.awaitServerSettings(Duration.ofSeconds(2)) >= 0, "no SETTINGS after the preface");
            Thread.sleep(100); // the recorder ACKs the empty SETTINGS; the detector keeps that ACK with the rest
            int first = r.request(Request.get("/hello"));
            r.awaitStreamEnd(first, FrameRecorder.DEFAULT_TIMEOUT);
            int second = r.request(Request.get("/hello"));
            r.awaitStreamEnd(second, FrameRecorder.DEFAULT_TIMEOUT);
            List<Frame> frames = r.readFor(Duration.ofMillis(300));
            String ctx = "\nframes:\n" + r.describe() + "\n" + child.describeOutput();
            List<Frame> serverSettings = frames.stream().filter(f -> f.is(Frame.SETTINGS) && !f.ack())
                    .collect(Collectors.toList());
            assertEquals(2, serverSettings.size(), "the fix's empty SETTINGS, then Jetty's" + ctx);
            assertEquals(0, serverSettings.get(0).length(), "the first is the fix's empty SETTINGS" + ctx);
            assertEquals(1, frames.stream().filter(f -> f.is(Frame.SETTINGS) && f.ack()).count(),
                    "the client's SETTINGS acknowledged once" + ctx);
            assertEquals(1, frames.stream().filter(f -> f.is(Frame.WINDOW_UPDATE) && f.streamId() == 0).count(),
                    "one session WINDOW_UPDATE" + ctx);
            assertTrue(frames.stream().noneMatch(f -> f.is(Frame.GOAWAY) || f.is(Frame.RST_STREAM)), ctx);
            for (int id : new int[] {first, second}) {
                Frame h = r.streamFrames(id).stream().filter(f -> f.is(Frame.HEADERS)).findFirst().orElse(null);
                assertTrue(h != null && "200".equals(h.header(":status")), "stream " + id + ctx);
            }
        }
    }

    /**
     * Every Jetty line with an h2c-only connector ({@code --h2c-only}): nothing before the client preface without the
     * agent; with it, SETTINGS on connect, and still exactly one SETTINGS and one WINDOW_UPDATE once the preface
     * comes.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("h2cOnlyApps")
    void everyJettyLineSendsSettingsOnConnectOnAnH2cOnlyConnectorWithAgent(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).appArg("--h2c-only").start()) {
            settingsAfterPreface(child.port(), SILENCE); // warm-up
            long nanos = settingsOnConnect(child.port(), SILENCE);
            report(app + " h2c-only", "no agent", "connect", nanos);
            assertEquals(-1, nanos, app + ": Jetty should say nothing before the client preface: " + describe(nanos));
        }
        try (ChildJvm child = ChildJvm.app(app).appArg("--h2c-only").agent().start()) {
            settingsOnConnect(child.port(), SILENCE); // warm-up: loads (and patches) the HTTP/2 classes
            long nanos = best(() -> settingsOnConnect(child.port(), SILENCE));
            report(app + " h2c-only", "agent", "connect", nanos);
            assertTrue(nanos >= 0 && nanos <= BUDGET.toNanos(), app + ": SETTINGS within " + BUDGET.toMillis()
                    + " ms of connect with the agent, got " + describe(nanos) + "\n" + child.describeOutput());
            try (FrameRecorder r = FrameRecorder.connect(child.port())) {
                r.sendRaw(FrameRecorder.CLIENT_PREFACE);
                List<Frame> frames = r.readFor(Duration.ofMillis(500));
                String ctx = "\nframes:\n" + r.describe();
                assertEquals(1, frames.stream().filter(f -> f.is(Frame.SETTINGS) && !f.ack()).count(), app + ctx);
                assertEquals(1, frames.stream().filter(f -> f.is(Frame.WINDOW_UPDATE)).count(), app + ctx);
            }
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    // --------------------------------------------------- HTTP/1.1-first Jetty apps: the preface, exactly once

    @ParameterizedTest(name = "{0}")
    @MethodSource("http1FirstApps")
    void http1FirstAppsAnswerThePrefaceOnceWithAgent(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).agent().start()) {
            settingsAfterPreface(child.port(), SILENCE); // warm-up
            long nanos = best(() -> settingsAfterPreface(child.port(), SILENCE));
            report(app, "agent", "preface", nanos);
            assertTrue(nanos >= 0 && nanos <= BUDGET.toNanos(), app + ": SETTINGS within " + BUDGET.toMillis()
                    + " ms of the preface, got " + describe(nanos) + "\n" + child.describeOutput());
            try (FrameRecorder r = FrameRecorder.connect(child.port())) {
                r.sendRaw(FrameRecorder.CLIENT_PREFACE);
                List<Frame> frames = r.readFor(Duration.ofMillis(500));
                String ctx = "\nframes:\n" + r.describe();
                assertEquals(1, frames.stream().filter(f -> f.is(Frame.SETTINGS) && !f.ack()).count(), app + ctx);
                assertEquals(1, frames.stream().filter(f -> f.is(Frame.WINDOW_UPDATE)).count(), app + ctx);
            }
        }
    }

    // ------------------------------------------------------------------------------------------- grpc-go

    @Test
    void grpcGoHealthCheckThroughTheJettyDetector() throws Exception {
        RequiredPeer.require(GrpcGoClient.isBuilt(), "grpc-go client not built (" + GrpcGoClient.binary()
                + "); build it with " + GrpcGoClient.BUILD_HINT);
        Duration handshake = Duration.ofSeconds(3);
        try (ChildJvm child = ChildJvm.app(SNIFFER).start()) {
            GrpcGoClient.Result r = GrpcGoClient.run(child.port(), "health", handshake);
            System.err.println("[early-settings] jetty grpc-go health, no agent: " + r);
            assertFalse(r.ok(), "grpc-go should time out against the Jetty detector without the agent: " + r);
            assertTrue(r.output().contains("deadline exceeded") || r.output().contains("handshake"),
                    "expected a handshake timeout, got " + r);
        }
        try (ChildJvm child = ChildJvm.app(SNIFFER).agent().start()) {
            GrpcGoClient.Result r = GrpcGoClient.run(child.port(), "health", handshake);
            System.err.println("[early-settings] jetty grpc-go health, agent: " + r);
            assertTrue(r.ok() && r.output().contains("status=SERVING"), "grpc-go health check with the agent: " + r
                    + "\n" + child.describeOutput());
            GrpcGoClient.Result h2c = GrpcGoClient.run(h2cPort(child), "health", handshake);
            assertTrue(h2c.ok() && h2c.output().contains("status=SERVING"), "grpc-go on the h2c-only port: " + h2c);
            assertTrue(child.agentErrorLines().isEmpty(), ChildJvm.lines(child.agentErrorLines()));
        }
    }

    /**
     * {@code early-settings-sniffers=off}: the detector gets no empty SETTINGS (it waits for HEADERS, as without the
     * agent), while the h2c-only connector still sends Jetty's SETTINGS at connection open.
     */
    @Test
    void sniffersOffLeavesTheDetectorAloneButKeepsSettingsAtOpen() throws Exception {
        String off = "early-settings-sniffers=off";
        try (ChildJvm child = ChildJvm.app(SNIFFER).agent(off).start()) {
            settingsAfterPreface(child.port(), SILENCE); // warm-up
            long afterPreface = settingsAfterPreface(child.port(), SILENCE);
            report(SNIFFER, "agent, " + off, "preface", afterPreface);
            assertEquals(-1, afterPreface, "with " + off + " the detector should get no SETTINGS from the agent: "
                    + describe(afterPreface) + "\n" + child.describeOutput());
            int port = h2cPort(child);
            settingsOnConnect(port, SILENCE); // warm-up
            long nanos = best(() -> settingsOnConnect(port, SILENCE));
            report(SNIFFER + " h2c-only", "agent, " + off, "connect", nanos);
            assertTrue(nanos >= 0 && nanos <= BUDGET.toNanos(), "with " + off + " the h2c-only connector should still"
                    + " send SETTINGS within " + BUDGET.toMillis() + " ms of connect, got " + describe(nanos) + "\n"
                    + child.describeOutput());
        }
    }

    /**
     * A detector whose connector has no HTTP/2 factory relays HTTP/2 connections to another server (Node's http2,
     * whose nghttp2 fails a session on an ACK of SETTINGS it never sent): the agent must not write into it. After the
     * preface the client gets nothing (the detector waits for HEADERS, as without the agent); once the request is
     * sent, the connection is relayed and the client sees exactly one SETTINGS, Node's, and its answer.
     */
    @Test
    void detectorInFrontOfARelayIsLeftAloneWithAgent() throws Exception {
        try (NodeH2cServer node = NodeH2cServer.start(100);
             ChildJvm child = ChildJvm.app(SNIFFER).agent().appArg("--relay-backend", "127.0.0.1:" + node.port())
                     .start()) {
            int port = relayPort(child);
            for (int connection = 0; connection < 2; connection++) { // the first one also loads the patched classes
                try (FrameRecorder r = FrameRecorder.connect(port)) {
                    r.sendPreface();
                    long early = r.awaitServerSettings(SILENCE);
                    String ctx = " (connection " + connection + ")\nframes:\n" + r.describe() + "\nnode:\n"
                            + node.log() + "\n" + child.describeOutput();
                    assertEquals(-1, early, "nothing may answer the preface on a relayed port" + ctx);
                    int id = r.request(Request.get("/relayed"));
                    r.awaitStreamEnd(id, FrameRecorder.DEFAULT_TIMEOUT);
                    List<Frame> frames = r.readFor(Duration.ofMillis(300));
                    ctx = " (connection " + connection + ")\nframes:\n" + r.describe() + "\nnode:\n" + node.log()
                            + "\n" + child.describeOutput();
                    assertEquals(1, frames.stream().filter(f -> f.is(Frame.SETTINGS) && !f.ack()).count(),
                            "exactly one server SETTINGS, Node's" + ctx);
                    Frame headers = r.streamFrames(id).stream().filter(f -> f.is(Frame.HEADERS)).findFirst()
                            .orElse(null);
                    assertTrue(headers != null && "200".equals(headers.header(":status")), "answered" + ctx);
                    assertTrue(frames.stream().noneMatch(f -> f.is(Frame.GOAWAY) || f.is(Frame.RST_STREAM)), ctx);
                    assertEquals(List.of(), node.sessionErrors(), "Node failed a session" + ctx);
                }
            }
            // Left alone by a fix that is installed: an agent whose early-settings never installed would pass the above.
            assertTrue(child.stderrLines().stream().anyMatch(l -> l.contains("early-settings: active for Jetty")),
                    "early-settings is active in the app\n" + child.describeOutput());
        }
    }

    static int relayPort(ChildJvm child) {
        for (String line : child.stdoutLines()) {
            if (line.trim().startsWith("READY-RELAY ")) {
                return Integer.parseInt(line.trim().substring("READY-RELAY ".length()));
            }
        }
        throw new IllegalStateException("no READY-RELAY line\n" + child.describeOutput());
    }
}
