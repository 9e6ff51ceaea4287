package dev.h2patch.it.delivery;

import static dev.h2patch.it.connectionstate.ConnectionStateScenario.awaitClose;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.countOk;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.endedWithTick;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.startSlowStreams;
import static dev.h2patch.it.connectionstate.ConnectionStateScenario.trigger;
import static dev.h2patch.it.harness.Wire.FAIL_PATH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.Catalog;
import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Exchange;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.Request;
import dev.h2patch.it.earlysettings.SettingsTiming;
import dev.h2patch.it.harness.Cli;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.Wire;
import dev.h2patch.it.proxysafereset.RejectUploadCall;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;

import net.bytebuddy.agent.ByteBuddyAgent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The fixes on the module path (issue 13, part 3): Netty 4.2 ships real module-info files, and an app run as a named
 * module ({@code java -p mods -m app/Main}) makes Netty's jars named modules that read only what they require. Advice
 * inlined into {@code io.netty.transport} or {@code io.netty.handler} names {@code io.netty.codec.http2} types, which
 * those modules do not read: before the agent added the read edges, every call of that advice failed with
 * {@code IllegalAccessError}, silently, while the log said "active".
 *
 * <p>The apps are {@code netty42-module-server} (the netty-server and netty-sniffer-server sources as one named
 * module, with Netty 4.2's jars on the module path) and {@code jetty12-module-server} (jetty120-server and
 * jetty12-sniffer-server, with Jetty 12.0's jars). Each fix is checked on the wire, and no advice failure may be
 * reported.
 */
@Timeout(120)
class ModulePathTest {
    static final String NETTY_APP = TestApps.only("Netty", Catalog.MODULE_PATH, false);
    static final String NETTY_MODULE = "dev.h2patch.testapps.netty42";
    static final String NETTY_SERVER = "dev.h2patch.testapps.netty.NettyServer";
    static final String NETTY_SNIFFER = "dev.h2patch.testapps.sniffer.SnifferServer";
    /** What {@code AdviceFailures} prints, once per fix and class loader, when an advice threw. */
    static final String FAILURE_LINE = "failed and the fix did nothing on that call";

    private static final long IDLE_MS = 1000;
    /**
     * Quiet for 1.5 periods: the agent holds the first idle event back (HEADERS moved in that period) and the stream
     * ends before the second one (docs/fixes/connection-state.md: a stream silent for two periods is cut).
     */
    private static final long QUIET_MS = 1500;

    static final String JETTY_APP = TestApps.only("Jetty", Catalog.MODULE_PATH, false);
    static final String JETTY_MODULE = "dev.h2patch.testapps.jetty12";
    static final String JETTY_SERVER = "dev.h2patch.testapps.jetty12.Jetty12Server";
    static final String JETTY_SNIFFER = "dev.h2patch.testapps.jetty12sniffer.Jetty12SnifferServer";

    static ChildJvm.Builder jetty(String main) {
        return agentJarFromProperty(ChildJvm.module(JETTY_APP, JETTY_MODULE, main));
    }

    static ChildJvm.Builder netty(String main) {
        return agentJarFromProperty(ChildJvm.module(NETTY_APP, NETTY_MODULE, main));
    }

    static Path agentJar() {
        return Wire.agentJarUnderTest();
    }

    private static ChildJvm.Builder agentJarFromProperty(ChildJvm.Builder builder) {
        return builder.agentJar(agentJar());
    }

    // ------------------------------------------------------------------------------------------------ Netty 4.2

    @Test
    void nettyEndStream() throws Exception {
        try (ChildJvm child = netty(NETTY_SERVER).agent().start()) {
            Exchange x = FrameRecorder.exchange(child.port(), Request.grpc(FAIL_PATH));
            Wire.assertFixed(x, child);
            // HEADERS and the empty END_STREAM DATA written before one flush: folded by looking at the channel's
            // unflushed writes, which the helper reads from io.netty.channel's private fields (opened to it).
            Exchange sameFlush = FrameRecorder.exchange(child.port(), Request.get("/empty-same-flush"));
            List<Frame> frames = sameFlush.responseFrames();
            assertTrue(frames.size() == 1 && frames.get(0).is(Frame.HEADERS) && frames.get(0).endStream(),
                    "/empty-same-flush: one HEADERS with END_STREAM, no DATA\n" + Wire.context(sameFlush, child));
            assertNoAdviceFailure(child);
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"--idle-timeout-ms", "--read-timeout-ms"})
    void nettyConnectionStateIdle(String idleOption) throws Exception {
        // The handler is in io.netty.handler; the advice asks io.netty.codec.http2's Http2ConnectionHandler.
        try (ChildJvm child = netty(NETTY_SERVER).agent().appArg(idleOption, String.valueOf(IDLE_MS)).start();
             FrameRecorder r = FrameRecorder.connect(warm(child).port())) {
            r.sendPreface();
            int id = r.request(Request.get("/quiet-stream?ms=" + QUIET_MS));
            r.awaitStreamEnd(id, Duration.ofMillis(QUIET_MS + 2000));
            assertTrue(endedWithTick(r, id), "the quiet stream completes on the module path\n" + r.describe()
                    + child.describeOutput());
            awaitClose(r, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3 * IDLE_MS + 1000));
            assertTrue(r.peerClosed(), "the then idle connection is closed\n" + r.describe());
            assertNoAdviceFailure(child);
        }
    }

    /** Attached to a running server: the classes already loaded are retransformed, and their modules get the edges. */
    @Test
    void nettyConnectionStateIdleAfterAttach() throws Exception {
        try (ChildJvm child = netty(NETTY_SERVER).appArg("--idle-timeout-ms", String.valueOf(IDLE_MS)).start()) {
            // One connection first, so that the idle handler and the HTTP/2 codec are loaded before the attach.
            Exchange warm = FrameRecorder.exchange(child.port(), Request.get("/hello"));
            assertTrue(warm.ended(), warm.describe());
            ByteBuddyAgent.attach(agentJar().toFile(), Long.toString(child.pid()));
            assertNotNull(child.awaitStderr(l -> l.contains("connection-state: active"), Duration.ofSeconds(10)),
                    child.describeOutput());
            try (FrameRecorder r = FrameRecorder.connect(child.port())) {
                r.sendPreface();
                int id = r.request(Request.get("/quiet-stream?ms=" + QUIET_MS));
                r.awaitStreamEnd(id, Duration.ofMillis(QUIET_MS + 2000));
                assertTrue(endedWithTick(r, id), "the quiet stream completes after an attach on the module path\n"
                        + r.describe() + child.describeOutput());
            }
            assertNoAdviceFailure(child);
        }
    }

    @Test
    void nettyConnectionStateShutdown() throws Exception {
        try (ChildJvm child = netty(NETTY_SERVER).agent().appArg("--user-shutdown").start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            List<Integer> ids = startSlowStreams(r, 3, 2000);
            Thread.sleep(500);
            trigger(child, "admin");
            List<Frame> frames = r.readUntil(f -> f.is(Frame.GOAWAY), Duration.ofMillis(2000));
            assertTrue(frames.stream().anyMatch(f -> f.is(Frame.GOAWAY) && f.errorCode() == 0),
                    "GOAWAY(NO_ERROR) on shutdown\n" + r.describe() + child.describeOutput());
            awaitClose(r, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(2000 + 3000));
            assertEquals(3, countOk(r, ids), "the in-flight streams complete\n" + r.describe()
                    + child.describeOutput());
            assertNoAdviceFailure(child);
        }
    }

    @Test
    void nettyEarlySettingsThroughASniffer() throws Exception {
        // The advice is in io.netty.transport (the pipeline's head) and looks for io.netty.codec.http2's handler.
        try (ChildJvm child = netty(NETTY_SNIFFER).agent().start()) {
            SettingsTiming.settingsAfterPreface(child.port(), SettingsTiming.SILENCE); // warm-up
            long nanos = SettingsTiming.settingsAfterPreface(child.port(), SettingsTiming.SILENCE);
            SettingsTiming.report(NETTY_APP + " sniffer", "agent", "preface", nanos);
            assertTrue(nanos >= 0 && nanos <= SettingsTiming.BUDGET.toNanos(), "SETTINGS within "
                    + SettingsTiming.BUDGET.toMillis() + " ms of the client preface on the module path, got "
                    + SettingsTiming.describe(nanos) + "\n" + child.describeOutput());
            assertNoAdviceFailure(child);
        }
    }

    @Test
    void nettySnifferWithoutAgentStaysSilent() throws Exception {
        try (ChildJvm child = netty(NETTY_SNIFFER).start()) {
            long nanos = SettingsTiming.settingsAfterPreface(child.port(), SettingsTiming.SILENCE);
            assertEquals(-1, nanos, "without the agent the sniffer waits for HEADERS: "
                    + SettingsTiming.describe(nanos));
        }
    }

    // ----------------------------------------------------------------------------------------------- Jetty 12.0

    /*
     * Jetty 12's advice is inlined into org.eclipse.jetty.http2.server, org.eclipse.jetty.http2.common and
     * org.eclipse.jetty.server, and names only types of modules those already read (and the agent's helpers, which
     * the JVM lets a transformed module read): these pass with the agent before the read edges too. They hold every
     * Jetty 12 fix to working on the module path.
     */

    @Test
    void jettyEndStream() throws Exception {
        try (ChildJvm child = jetty(JETTY_SERVER).agent().start()) {
            Exchange x = FrameRecorder.exchange(child.port(), Request.grpc(FAIL_PATH));
            Wire.assertFixed(x, child);
            assertNoAdviceFailure(child);
        }
    }

    @Test
    void jettyConnectionStateShutdownIdleTimeout() throws Exception {
        try (ChildJvm child = jetty(JETTY_SERVER).agent().start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            r.awaitServerSettings(Duration.ofSeconds(5));
            int id = r.request(Request.get("/quiet-stream?ms=" + QUIET_MS));
            r.readUntil(f -> f.streamId() == id && f.is(Frame.HEADERS), Duration.ofSeconds(2));
            Thread.sleep(300);
            trigger(child, "admin");
            r.awaitStreamEnd(id, Duration.ofMillis(QUIET_MS + 3000));
            assertTrue(endedWithTick(r, id) && r.streamFrames(id).stream().noneMatch(f -> f.is(Frame.RST_STREAM)),
                    "the quiet stream completes through the shutdown\n" + r.describe() + child.describeOutput());
            assertNoAdviceFailure(child);
        }
    }

    @Test
    void jettyEarlySettings() throws Exception {
        try (ChildJvm child = jetty(JETTY_SNIFFER).agent().start()) {
            int h2c = SettingsTiming.h2cPort(child);
            SettingsTiming.settingsOnConnect(h2c, SettingsTiming.SILENCE); // warm-up
            long onConnect = SettingsTiming.settingsOnConnect(h2c, SettingsTiming.SILENCE);
            SettingsTiming.settingsAfterPreface(child.port(), SettingsTiming.SILENCE); // warm-up
            long afterPreface = SettingsTiming.settingsAfterPreface(child.port(), SettingsTiming.SILENCE);
            SettingsTiming.report(JETTY_APP + " h2c-only", "agent", "connect", onConnect);
            SettingsTiming.report(JETTY_APP + " detector", "agent", "preface", afterPreface);
            long budget = SettingsTiming.BUDGET.toNanos();
            assertTrue(onConnect >= 0 && onConnect <= budget, "h2c-only connector: SETTINGS on connect, got "
                    + SettingsTiming.describe(onConnect) + "\n" + child.describeOutput());
            assertTrue(afterPreface >= 0 && afterPreface <= budget, "detecting connector: SETTINGS after the"
                    + " preface, got " + SettingsTiming.describe(afterPreface) + "\n" + child.describeOutput());
            assertNoAdviceFailure(child);
        }
    }

    @Test
    void jettyProxySafeReset() throws Exception {
        try (ChildJvm child = jetty(JETTY_SERVER).agent("reset-defer-ms=1000").start()) {
            Exchange x = RejectUploadCall.call(child.port(), "/h2patch.Test/RejectUpload", Duration.ofMillis(500), 30);
            RejectUploadCall.assertCompleteResponse(x, child);
            assertEquals(List.of(), RejectUploadCall.resetCodes(x),
                    "no RST_STREAM after the complete response" + Wire.context(x, child));
            assertNoAdviceFailure(child);
        }
    }

    @Test
    void jettyProxySafeResetWithoutAgentResets() throws Exception {
        try (ChildJvm child = jetty(JETTY_SERVER).start()) {
            Exchange x = RejectUploadCall.call(child.port(), "/h2patch.Test/RejectUpload", Duration.ofMillis(500), 30);
            RejectUploadCall.assertCompleteResponse(x, child);
            assertTrue(!RejectUploadCall.resetCodes(x).isEmpty(),
                    "without the agent Jetty 12.0 resets the stream the client still sends on" + Wire.context(x, child));
        }
    }

    // -------------------------------------------------------------------------------------- failures are counted

    /**
     * An advice failure is counted and reported. The broken situation: the agent jar without its Java 9 part
     * ({@code ModuleEdges9}), so no read edge is added and the idle advice in {@code io.netty.handler} fails on each
     * call, as every fix inlined across Netty's modules did before. The fix does nothing then (the quiet stream is
     * cut), but it says so: one WARN line naming the fix and the error, and {@code failed=N} in {@code status --json}.
     */
    @Test
    void anAdviceFailureIsCountedAndWarned(@TempDir Path dir) throws Exception {
        Path agent = withoutModuleEdges(agentJar(), dir.resolve("h2patch-agent.jar"));
        try (ChildJvm child = netty(NETTY_SERVER).agent().agentJar(agent)
                .appArg("--idle-timeout-ms", String.valueOf(IDLE_MS)).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendPreface();
            int id = r.request(Request.get("/quiet-stream?ms=" + QUIET_MS));
            r.awaitStreamEnd(id, Duration.ofMillis(QUIET_MS + 2000));
            String warn = child.awaitStderr(l -> l.startsWith("WARN h2patch - connection-state:")
                    && l.contains(FAILURE_LINE), Duration.ofSeconds(5));
            assertNotNull(warn, "a WARN line for the failing connection-state advice\n" + child.describeOutput());
            assertTrue(warn.contains("IllegalAccessError") && warn.contains("io.netty.codec.http2"), warn);
            Cli.Result status = Cli.run("status", Long.toString(child.pid()), "--json");
            assertEquals(0, status.exit(), status.toString());
            long failed = status.counter("connection-state", "failed");
            assertTrue(failed >= 1, "connection-state failed=N with N >= 1 in status --json\n" + status);
            List<String> warnings = child.stderrLines().stream()
                    .filter(l -> l.startsWith("WARN h2patch - connection-state:") && l.contains(FAILURE_LINE))
                    .collect(Collectors.toList());
            assertEquals(1, warnings.size(), "reported once per fix and class loader, however often it failed ("
                    + failed + " times)\n" + child.describeOutput());
            Cli.Result text = Cli.run("status", Long.toString(child.pid()));
            assertTrue(text.out().matches("(?s).*connection-state +streams-saved-shutdown=[^\\n]*failed=[1-9]\\d*\n.*"),
                    text.toString());
        }
    }

    /**
     * A helper's failure is not silent either: Jetty 12's h2c-only connector needs a private field of Jetty's
     * ServerParser, which the helper reads reflectively; without the package opened to it (the same stripped agent),
     * the fix does nothing on that connector, and says so once.
     */
    @Test
    void aHelperFailureIsWarnedToo(@TempDir Path dir) throws Exception {
        Path agent = withoutModuleEdges(agentJar(), dir.resolve("h2patch-agent.jar"));
        try (ChildJvm child = jetty(JETTY_SNIFFER).agent().agentJar(agent).start()) {
            int h2c = SettingsTiming.h2cPort(child);
            long nanos = SettingsTiming.settingsOnConnect(h2c, SettingsTiming.SILENCE);
            String warn = child.awaitStderr(l -> l.startsWith("WARN h2patch - early-settings:")
                    && l.contains(FAILURE_LINE), Duration.ofSeconds(5));
            assertNotNull(warn, "a WARN line for early-settings (SETTINGS on connect: "
                    + SettingsTiming.describe(nanos) + ")\n" + child.describeOutput());
            assertTrue(warn.contains("InaccessibleObjectException") && warn.contains("notifyPreface"), warn);
            Cli.Result status = Cli.run("status", Long.toString(child.pid()), "--json");
            assertTrue(status.counter("early-settings", "failed") >= 1, status.toString());
        }
    }

    // ------------------------------------------------------------------------------------------------- helpers

    /** One request on its own connection first: the first one loads and weaves the HTTP/2 classes (seconds, here). */
    private static ChildJvm warm(ChildJvm child) throws Exception {
        Exchange x = FrameRecorder.exchange(child.port(), Request.get("/hello"));
        assertTrue(x.ended(), "warm-up request answered\n" + x.describe() + child.describeOutput());
        return child;
    }

    static void assertNoAdviceFailure(ChildJvm child) {
        List<String> failures = child.stderrLines().stream().filter(l -> l.contains(FAILURE_LINE))
                .collect(Collectors.toList());
        assertTrue(failures.isEmpty(), "an advice failed on the module path:\n" + ChildJvm.lines(failures) + "\n"
                + child.describeOutput());
        assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
    }

    /** A copy of the agent jar without {@code dev/h2patch/ModuleEdges9*.class}: the agent then adds no read edges. */
    static Path withoutModuleEdges(Path agentJar, Path copy) throws IOException {
        try (JarFile in = new JarFile(agentJar.toFile());
             OutputStream file = Files.newOutputStream(copy);
             JarOutputStream out = new JarOutputStream(file, in.getManifest())) {
            for (Enumeration<JarEntry> entries = in.entries(); entries.hasMoreElements(); ) {
                JarEntry entry = entries.nextElement();
                String name = entry.getName();
                if (name.equals("META-INF/MANIFEST.MF") || name.startsWith("dev/h2patch/ModuleEdges9")) {
                    continue;
                }
                out.putNextEntry(new JarEntry(name));
                try (InputStream data = in.getInputStream(entry)) {
                    data.transferTo(out);
                }
                out.closeEntry();
            }
        }
        return copy;
    }
}
