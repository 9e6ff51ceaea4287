package dev.h2patch.it.earlysettings;

import static dev.h2patch.it.earlysettings.SettingsTiming.BUDGET;
import static dev.h2patch.it.earlysettings.SettingsTiming.SILENCE;
import static dev.h2patch.it.earlysettings.SettingsTiming.best;
import static dev.h2patch.it.earlysettings.SettingsTiming.describe;
import static dev.h2patch.it.earlysettings.SettingsTiming.report;
import static dev.h2patch.it.earlysettings.SettingsTiming.settingsAfterPreface;
import static dev.h2patch.it.earlysettings.SettingsTiming.settingsOnConnect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.Catalog;
import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.GrpcCalls;
import dev.h2patch.it.GrpcGoClient;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.RequiredPeer;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.Wire;
import io.grpc.Status;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersEncoder;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The early-settings fix (docs/bugs.md#early-settings): the server's SETTINGS must not wait for the client's request. Measured on the
 * wire with a raw socket (after one warm-up connection), then with the real clients: grpc-go (waits for the server's
 * SETTINGS before it sends anything), grpc-java and curl.
 */
@Timeout(120)
class EarlySettingsTest {
    static final String SNIFFER = TestApps.only("Netty", "sniffer", true);
    /** Netty 4.1.77: its server writes the preface SETTINGS on connect but does not flush them (netty#12089). */
    static final String FLOOR = TestApps.app("netty41-floor-server");

    /** Apps whose HTTP/2 handler is in the pipeline from the start: SETTINGS are due on connect. */
    static Stream<String> codecFromTheStartApps() {
        return TestApps.claiming("Netty", "early-settings", a -> a.mainConnector().equals("h2c"));
    }

    /**
     * Every Netty-based app, the sniffer and the grpc-java server (Netty inside) included: SETTINGS are due once the
     * client preface arrived.
     */
    static Stream<String> allApps() {
        return Stream.concat(TestApps.claiming("Netty", "early-settings"),
                Catalog.names(a -> a.library().equals("grpc-java") && a.runsAsJar()));
    }

    // ------------------------------------------------------------------------------------------- (a) on connect

    @ParameterizedTest(name = "{0}")
    @MethodSource("codecFromTheStartApps")
    void settingsOnConnectWithAgent(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).agent().start()) {
            settingsOnConnect(child.port(), SILENCE); // warm-up: the first connection also loads (and patches) the codec
            long nanos = best(() -> settingsOnConnect(child.port(), SILENCE));
            report(app, "agent", "connect", nanos);
            assertTrue(nanos >= 0 && nanos <= BUDGET.toNanos(), app + ": SETTINGS should arrive within "
                    + BUDGET.toMillis() + " ms of connect with the agent, got " + describe(nanos)
                    + "\n" + child.describeOutput());
        }
    }

    @Test
    void floorSendsNothingOnConnectWithoutAgent() throws Exception {
        try (ChildJvm child = ChildJvm.app(FLOOR).start()) {
            settingsOnConnect(child.port(), SILENCE); // warm-up
            long nanos = settingsOnConnect(child.port(), SILENCE);
            report(FLOOR, "no agent", "connect", nanos);
            assertEquals(-1, nanos, "Netty 4.1.77 should send nothing before the client writes (netty#12089); got "
                    + describe(nanos));
            long afterPreface = settingsAfterPreface(child.port(), SILENCE);
            assertTrue(afterPreface >= 0, "the client preface should release Netty 4.1.77's SETTINGS");
        }
    }

    // ---------------------------------------------------------------------------------------- (b) preface only

    @ParameterizedTest(name = "{0}")
    @MethodSource("allApps")
    void settingsAfterPrefaceOnlyWithAgent(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).agent().start()) {
            settingsAfterPreface(child.port(), SILENCE); // warm-up: the first connection also loads (and patches) the codec
            long nanos = best(() -> settingsAfterPreface(child.port(), SILENCE));
            report(app, "agent", "preface", nanos);
            assertTrue(nanos >= 0 && nanos <= BUDGET.toNanos(), app + ": SETTINGS should arrive within "
                    + BUDGET.toMillis() + " ms of the 24-byte client preface with the agent, got " + describe(nanos)
                    + "\n" + child.describeOutput());
        }
    }

    @Test
    void snifferNeverSpeaksFirstWithoutAgent() throws Exception {
        try (ChildJvm child = ChildJvm.app(SNIFFER).start()) {
            long onConnect = settingsOnConnect(child.port(), SILENCE);
            long afterPreface = settingsAfterPreface(child.port(), SILENCE);
            report(SNIFFER, "no agent", "connect", onConnect);
            report(SNIFFER, "no agent", "preface", afterPreface);
            assertEquals(-1, onConnect, "the sniffer should not speak on connect: " + describe(onConnect));
            assertEquals(-1, afterPreface, "the sniffer should wait for HEADERS: " + describe(afterPreface));
        }
    }

    // ------------------------------------------------------------------------------------------- (c) grpc-go

    @Test
    void grpcGoHealthCheckThroughTheSniffer() throws Exception {
        RequiredPeer.require(GrpcGoClient.isBuilt(), "grpc-go client not built (" + GrpcGoClient.binary()
                + "); build it with " + GrpcGoClient.BUILD_HINT);
        Duration handshake = Duration.ofSeconds(3);
        try (ChildJvm child = ChildJvm.app(SNIFFER).start()) {
            GrpcGoClient.Result r = GrpcGoClient.run(child.port(), "health", handshake);
            System.err.println("[early-settings] grpc-go health, no agent: " + r);
            assertFalse(r.ok(), "grpc-go should time out against the sniffer without the agent: " + r);
            assertTrue(r.output().contains("deadline exceeded") || r.output().contains("handshake"),
                    "expected a handshake timeout, got " + r);
        }
        try (ChildJvm child = ChildJvm.app(SNIFFER).agent().start()) {
            GrpcGoClient.Result r = GrpcGoClient.run(child.port(), "health", handshake);
            System.err.println("[early-settings] grpc-go health, agent: " + r);
            assertTrue(r.ok() && r.output().contains("status=SERVING"), "grpc-go health check with the agent: " + r
                    + "\n" + child.describeOutput());
            GrpcGoClient.Result unary = GrpcGoClient.run(child.port(), "unary", handshake);
            System.err.println("[early-settings] grpc-go unary, agent: " + unary);
            assertTrue(unary.output().contains("code=NotFound") && unary.output().contains("no such thing"),
                    "grpc-go unary call with the agent: " + unary + "\n" + child.describeOutput());
            assertTrue(child.agentErrorLines().isEmpty(), ChildJvm.lines(child.agentErrorLines()));
        }
    }

    // ------------------------------------------------------------------------------ (d) grpc-java and curl

    @Test
    void grpcJavaAndCurlStillWorkThroughTheSnifferWithAgent() throws Exception {
        try (ChildJvm child = ChildJvm.app(SNIFFER).agent().start()) {
            GrpcCalls.Outcome health = GrpcCalls.unary(child.port(), "grpc.health.v1.Health/Check");
            assertEquals(Status.Code.OK, health.code(), "grpc-java health check: " + health + "\n"
                    + child.describeOutput());
            assertArrayEquals(new byte[] {0x08, 0x01}, health.response(), "HealthCheckResponse{SERVING}");
            GrpcCalls.Outcome fail = GrpcCalls.unary(child.port(), Wire.FAIL);
            assertEquals(Status.Code.NOT_FOUND, fail.code(), "grpc-java Fail: " + fail);
            assertEquals("no such thing", fail.description());

            if (curlAvailable()) {
                assertEquals("hello\n", curl("--http2-prior-knowledge", "http://127.0.0.1:" + child.port() + "/h2"),
                        "curl --http2-prior-knowledge through the sniffer\n" + child.describeOutput());
                assertEquals("hello\n", curl("http://127.0.0.1:" + child.port() + "/h1"),
                        "curl HTTP/1.1 through the sniffer\n" + child.describeOutput());
            } else {
                System.err.println("[early-settings] curl not found: the curl part was skipped");
            }
            Wire.assertCleanStderr(child, Request.get("/clean"));
        }
    }

    // ------------------------------------------------------------------------------- (e) ACK accounting

    /**
     * The server answers the client's one SETTINGS with exactly one ACK, sends its own SETTINGS twice (the fix's
     * empty frame, then Netty's), and two requests on the same connection succeed with no GOAWAY or reset.
     */
    @Test
    void settingsAccountingThroughTheSnifferWithAgent() throws Exception {
        try (ChildJvm child = ChildJvm.app(SNIFFER).agent().start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            // Like grpc-go: no request before the server's SETTINGS. Sent at once, the request could reach the
            // sniffer in the same read as the preface; it would then route at once and need no early SETTINGS.
            assertTrue(r.awaitServerSettings(FrameRecorder.DEFAULT_TIMEOUT) >= 0,
                    "the server never sent SETTINGS after the preface\n" + r.describe() + child.describeOutput());
            int first = r.request(Request.get("/first"));
            r.awaitStreamEnd(first, FrameRecorder.DEFAULT_TIMEOUT);
            int second = r.request(Request.get("/second"));
            r.awaitStreamEnd(second, FrameRecorder.DEFAULT_TIMEOUT);
            List<Frame> frames = r.readFor(Duration.ofMillis(300));
            String ctx = "\nframes:\n" + r.describe() + "\n" + child.describeOutput();

            List<Frame> settings = frames.stream().filter(f -> f.is(Frame.SETTINGS)).collect(Collectors.toList());
            assertEquals(1, settings.stream().filter(Frame::ack).count(),
                    "the client's single SETTINGS must be acknowledged exactly once" + ctx);
            List<Frame> serverSettings = settings.stream().filter(f -> !f.ack()).collect(Collectors.toList());
            assertEquals(2, serverSettings.size(), "expected the fix's empty SETTINGS, then Netty's" + ctx);
            assertEquals(0, serverSettings.get(0).length(), "the first server SETTINGS is the fix's empty one" + ctx);
            assertTrue(frames.stream().noneMatch(f -> f.is(Frame.GOAWAY) || f.is(Frame.RST_STREAM)),
                    "no GOAWAY and no RST_STREAM expected" + ctx);
            for (int id : new int[] {first, second}) {
                Frame headers = r.streamFrames(id).stream().filter(f -> f.is(Frame.HEADERS)).findFirst().orElse(null);
                assertTrue(headers != null && "200".equals(headers.header(":status")), "stream " + id + ctx);
            }
        }
    }

    /**
     * Netty applies its own SETTINGS only when the client acknowledges them. The app announces HEADER_TABLE_SIZE=0;
     * once Netty's HPACK decoder has applied that, it insists that the client's next header block start with a table
     * size update ("max dynamic table size change required", COMPRESSION_ERROR). The client's ACK of the fix's empty
     * SETTINGS reaches Netty (replayed by the sniffer) right before the first HEADERS, which the client encoded
     * before it had even seen Netty's SETTINGS. Taken as the ACK of Netty's settings, it would kill the connection;
     * the fix must keep it from Netty. After the client's real ACK, a block that starts with the size update works.
     * (Without the fix the same GOAWAY follows when a client sends one SETTINGS ACK too many.)
     */
    @Test
    void nettyAppliesItsSettingsOnlyOnTheAckThatConfirmsThem() throws Exception {
        try (ChildJvm child = ChildJvm.app(SNIFFER).agent().appArg("--header-table-size", "0").start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            long empty = r.awaitServerSettings(Duration.ofSeconds(2));
            assertTrue(empty >= 0, "the fix's empty SETTINGS did not arrive\n" + child.describeOutput());
            Thread.sleep(100); // the recorder ACKs it; the sniffer keeps that ACK with the rest
            DefaultHttp2HeadersEncoder encoder =
                    new DefaultHttp2HeadersEncoder(Http2HeadersEncoder.NEVER_SENSITIVE, false);
            r.sendRaw(headers(encoder, 1, "/first", child.port()));
            r.awaitStreamEnd(1, FrameRecorder.DEFAULT_TIMEOUT);
            Predicate<Frame> nettySettings = f -> f.is(Frame.SETTINGS) && !f.ack() && f.length() > 0;
            r.readUntil(nettySettings, Duration.ofSeconds(2));
            Thread.sleep(100); // the recorder ACKs Netty's SETTINGS: now Netty applies HEADER_TABLE_SIZE=0
            encoder.configuration().maxHeaderTableSize(0); // the next block starts with a table size update
            r.sendRaw(headers(encoder, 3, "/second", child.port()));
            r.awaitStreamEnd(3, FrameRecorder.DEFAULT_TIMEOUT);
            List<Frame> frames = r.readFor(Duration.ofMillis(300));
            String ctx = "\nframes:\n" + r.describe() + "\n" + child.describeOutput();
            assertTrue(frames.stream().anyMatch(nettySettings), "Netty's SETTINGS did not arrive" + ctx);
            assertTrue(frames.stream().noneMatch(f -> f.is(Frame.RST_STREAM) || f.is(Frame.GOAWAY)),
                    "Netty applied its SETTINGS on the ACK of the fix's empty SETTINGS" + ctx);
            for (int id : new int[] {1, 3}) {
                Frame h = r.streamFrames(id).stream().filter(f -> f.is(Frame.HEADERS)).findFirst().orElse(null);
                assertTrue(h != null && "200".equals(h.header(":status")), "stream " + id + ctx);
            }
        }
    }

    /** One HEADERS frame (END_HEADERS | END_STREAM): GET {@code path}, HPACK-encoded with {@code encoder}. */
    static byte[] headers(DefaultHttp2HeadersEncoder encoder, int streamId, String path, int port) throws Exception {
        Http2Headers h = new DefaultHttp2Headers().method("GET").path(path).scheme("http")
                .authority("127.0.0.1:" + port);
        ByteBuf block = Unpooled.buffer();
        try {
            encoder.encodeHeaders(streamId, h, block);
            byte[] bytes = new byte[block.readableBytes()];
            block.getBytes(block.readerIndex(), bytes);
            return frame(Frame.HEADERS, Frame.FLAG_END_HEADERS | Frame.FLAG_END_STREAM, streamId, bytes);
        } finally {
            block.release();
        }
    }

    /**
     * The same sniffer written as a {@code ByteToMessageDecoder} ({@code --decoder}): the preface waits in the
     * decoder's cumulation buffer, which is the evidence the fix looks for. A grpc-go-like client gets the empty
     * SETTINGS after its preface, then Netty's, and its requests are answered.
     */
    @Test
    void decoderSnifferIsAnsweredWithAgent() throws Exception {
        try (ChildJvm child = ChildJvm.app(SNIFFER).agent().appArg("--decoder").start()) {
            settingsAfterPreface(child.port(), SILENCE); // warm-up
            long nanos = best(() -> settingsAfterPreface(child.port(), SILENCE));
            report(SNIFFER + " --decoder", "agent", "preface", nanos);
            assertTrue(nanos >= 0 && nanos <= BUDGET.toNanos(), "the decoder sniffer should get SETTINGS within "
                    + BUDGET.toMillis() + " ms of the preface, got " + describe(nanos) + "\n" + child.describeOutput());
            try (FrameRecorder r = FrameRecorder.connect(child.port())) {
                r.sendPreface();
                assertTrue(r.awaitServerSettings(FrameRecorder.DEFAULT_TIMEOUT) >= 0, "no SETTINGS after the preface\n"
                        + r.describe() + child.describeOutput());
                int first = r.request(Request.get("/first"));
                r.awaitStreamEnd(first, FrameRecorder.DEFAULT_TIMEOUT);
                int second = r.request(Request.get("/second"));
                r.awaitStreamEnd(second, FrameRecorder.DEFAULT_TIMEOUT);
                List<Frame> frames = r.readFor(Duration.ofMillis(300));
                String ctx = "\nframes:\n" + r.describe() + "\n" + child.describeOutput();
                assertEquals(2, frames.stream().filter(f -> f.is(Frame.SETTINGS) && !f.ack()).count(),
                        "the fix's empty SETTINGS, then Netty's" + ctx);
                assertEquals(1, frames.stream().filter(f -> f.is(Frame.SETTINGS) && f.ack()).count(), ctx);
                assertTrue(frames.stream().noneMatch(f -> f.is(Frame.GOAWAY) || f.is(Frame.RST_STREAM)), ctx);
                for (int id : new int[] {first, second}) {
                    Frame h = r.streamFrames(id).stream().filter(f -> f.is(Frame.HEADERS)).findFirst().orElse(null);
                    assertTrue(h != null && "200".equals(h.header(":status")), "stream " + id + ctx);
                }
            }
            Wire.assertCleanStderr(child, Request.get("/clean"));
        }
    }

    // ------------------------------------------------------------------ (f) option early-settings-sniffers=off

    /**
     * {@code early-settings-sniffers=off} turns off the sniffer part alone: the sniffer app is left as it is without
     * the agent (a client that waits for the server's SETTINGS after its preface, as grpc-go does, gets none), while
     * the preface flush still repairs Netty 4.1.77 (SETTINGS on connect, netty#12089).
     */
    @Test
    void sniffersOffLeavesTheSnifferAloneButStillFlushesThePreface() throws Exception {
        String off = "early-settings-sniffers=off";
        try (ChildJvm child = ChildJvm.app(SNIFFER).agent(off).start()) {
            settingsAfterPreface(child.port(), SILENCE); // warm-up
            long afterPreface = settingsAfterPreface(child.port(), SILENCE);
            report(SNIFFER, "agent, " + off, "preface", afterPreface);
            assertEquals(-1, afterPreface, "with " + off + " the sniffer should get no SETTINGS from the agent: "
                    + describe(afterPreface) + "\n" + child.describeOutput());
            assertTrue(child.agentErrorLines().isEmpty(), ChildJvm.lines(child.agentErrorLines()));
            // Left alone by a fix that is installed: an agent whose early-settings never installed would pass the above.
            assertTrue(child.stderrLines().stream().anyMatch(l -> l.contains("early-settings: active for Netty")),
                    "early-settings is active in the app\n" + child.describeOutput());
        }
        try (ChildJvm child = ChildJvm.app(FLOOR).agent(off).start()) {
            settingsOnConnect(child.port(), SILENCE); // warm-up
            long nanos = best(() -> settingsOnConnect(child.port(), SILENCE));
            report(FLOOR, "agent, " + off, "connect", nanos);
            assertTrue(nanos >= 0 && nanos <= BUDGET.toNanos(), "with " + off + " the preface flush should still"
                    + " send Netty 4.1.77's SETTINGS within " + BUDGET.toMillis() + " ms of connect, got "
                    + describe(nanos) + "\n" + child.describeOutput());
        }
    }

    // ------------------------------------------------------------------------------------------- helpers

    static byte[] frame(int type, int flags, int streamId, byte[] payload) {
        byte[] f = new byte[9 + payload.length];
        f[0] = (byte) (payload.length >>> 16);
        f[1] = (byte) (payload.length >>> 8);
        f[2] = (byte) payload.length;
        f[3] = (byte) type;
        f[4] = (byte) flags;
        f[5] = (byte) (streamId >>> 24);
        f[6] = (byte) (streamId >>> 16);
        f[7] = (byte) (streamId >>> 8);
        f[8] = (byte) streamId;
        System.arraycopy(payload, 0, f, 9, payload.length);
        return f;
    }

    static boolean curlAvailable() {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .anyMatch(dir -> Files.isExecutable(Paths.get(dir, "curl")));
    }

    static String curl(String... args) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("curl", "-s", "--max-time", "5"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return "(curl timed out)";
        }
        try (InputStream in = p.getInputStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
