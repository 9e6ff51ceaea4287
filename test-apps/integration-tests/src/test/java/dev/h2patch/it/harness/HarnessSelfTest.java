package dev.h2patch.it.harness;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Exchange;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.GrpcCalls;
import dev.h2patch.it.Repo;
import dev.h2patch.it.Request;
import io.grpc.Status;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checks the harness itself (ChildJvm, FrameRecorder, GrpcCalls) against in-process servers and a fake app, so that
 * a failure of the app tests points at the apps or the agent, not at the harness. Needs neither the apps nor the
 * agent to be built.
 */
@Timeout(60)
public class HarnessSelfTest {

    @Test
    void recorderSeesTrailersOnlyFromGrpcJava() throws Exception {
        try (TestServers.Grpc server = new TestServers.Grpc()) {
            Exchange x = FrameRecorder.exchange(server.port(), Request.grpc(Wire.FAIL_PATH));
            Wire.assertFixed(x, "");
            assertEquals("no such thing", x.header("grpc-message"), x.describe());
            assertEquals("200", x.header(":status"), x.describe());
            assertTrue(x.firstServerSettingsNanos() >= 0, "server SETTINGS seen");
            String line = x.responseFrames().get(0).describe();
            assertTrue(line.startsWith("HEADERS stream=1 flags=END_STREAM|END_HEADERS len="), line);
            assertTrue(line.contains("grpc-status=5"), line);

            GrpcCalls.Outcome outcome = GrpcCalls.unary(server.port(), Wire.FAIL);
            assertEquals(Status.Code.NOT_FOUND, outcome.code(), outcome.toString());
            assertEquals("no such thing", outcome.description());
        }
    }

    @Test
    void recorderSeesEchoWithTrailers() throws Exception {
        byte[] msg = "ping".getBytes(StandardCharsets.UTF_8);
        try (TestServers.Grpc server = new TestServers.Grpc()) {
            Exchange x = FrameRecorder.exchange(server.port(), Request.grpc(Wire.ECHO_PATH, msg));
            List<Frame> fs = x.responseFrames();
            assertEquals(3, fs.size(), x.describe());
            assertTrue(fs.get(0).is(Frame.HEADERS) && !fs.get(0).endStream(), x.describe());
            assertTrue(fs.get(1).is(Frame.DATA) && fs.get(1).length() == 9 && !fs.get(1).endStream(), x.describe());
            assertArrayEquals(Request.grpcFrame(msg), x.body());
            assertTrue(fs.get(2).is(Frame.HEADERS) && fs.get(2).endStream(), x.describe());
            assertEquals("0", fs.get(2).header("grpc-status"), x.describe());

            // Same request twice on fresh connections: same shape (what correctResponseUnchanged relies on).
            Exchange again = FrameRecorder.exchange(server.port(), Request.grpc(Wire.ECHO_PATH, msg));
            assertEquals(x.responseShape(), again.responseShape());

            GrpcCalls.Outcome outcome = GrpcCalls.unary(server.port(), Wire.ECHO, msg);
            assertEquals(Status.Code.OK, outcome.code(), outcome.toString());
            assertArrayEquals(msg, outcome.response());
        }
    }

    @Test
    void recorderAndGrpcJavaSeeTheBug() throws Exception {
        try (TestServers.Buggy server = new TestServers.Buggy()) {
            Exchange x = FrameRecorder.exchange(server.port(), Request.grpc(Wire.FAIL_PATH));
            Wire.assertUnfixed(x, "");
            assertEquals("DATA stream=1 flags=END_STREAM len=0", x.responseFrames().get(1).describe());

            GrpcCalls.Outcome outcome = GrpcCalls.unary(server.port(), Wire.FAIL);
            assertEquals(Status.Code.INTERNAL, outcome.code(), outcome.toString());
        }
    }

    @Test
    void wireAssertionsTellTheShapesApart() throws Exception {
        Exchange fixed;
        Exchange broken;
        try (TestServers.Grpc server = new TestServers.Grpc()) {
            fixed = FrameRecorder.exchange(server.port(), Request.grpc(Wire.FAIL_PATH));
        }
        try (TestServers.Buggy server = new TestServers.Buggy()) {
            broken = FrameRecorder.exchange(server.port(), Request.grpc(Wire.FAIL_PATH));
        }
        AssertionError e = assertThrows(AssertionError.class, () -> Wire.assertFixed(broken, ""));
        assertTrue(e.getMessage().contains("DATA stream=1 flags=END_STREAM len=0"), e.getMessage());
        e = assertThrows(AssertionError.class, () -> Wire.assertUnfixed(fixed, ""));
        assertTrue(e.getMessage().contains("HEADERS stream=1 flags=END_STREAM|END_HEADERS"), e.getMessage());
    }

    @Test
    void recorderCanConnectWithoutSpeakingFirst() throws Exception {
        try (TestServers.Buggy server = new TestServers.Buggy();
                FrameRecorder r = FrameRecorder.connect(server.port())) {
            // Netty servers send their SETTINGS on connect, before the client preface.
            long settings = r.awaitServerSettings(Duration.ofSeconds(3));
            assertTrue(settings >= 0, r.describe());
            assertEquals(-1, r.prefaceSentNanos());
            r.sendPreface();
            assertTrue(r.prefaceSentNanos() > settings);
            int id = r.request(Request.get("/anything"));
            r.awaitStreamEnd(id, Duration.ofSeconds(5));
            assertTrue(r.streamEnded(id), r.describe());
            assertTrue(r.frames().stream().anyMatch(f -> f.is(Frame.SETTINGS) && f.ack()),
                    "server ACKed our SETTINGS\n" + r.describe());
            assertFalse(r.frames().stream().anyMatch(f -> f.is(Frame.GOAWAY)),
                    "no GOAWAY: the early SETTINGS ACK was held until after the preface\n" + r.describe());
        }
    }

    @Test
    void childJvmWaitsForReadyAndCollectsOutput(@TempDir Path tmp) throws Exception {
        Path jar = fakeAppJar(tmp);
        try (ChildJvm child = ChildJvm.jar(jar).appArg("--leak").start()) {
            assertTrue(child.port() > 0);
            try (Socket s = new Socket("127.0.0.1", child.port())) {
                assertTrue(s.isConnected());
            }
            assertTrue(child.command().contains(ChildJvm.LEAK_DETECTION), child.command().toString());
            assertEquals("READY " + child.port(), child.stdoutLines().get(0));
            assertNotNull(child.awaitStderr(l -> l.contains("LEAK:"), Duration.ofSeconds(5)), child.describeOutput());
            assertEquals(1, child.leakLines().size(), child.describeOutput());
            assertTrue(child.stderrLines().contains("fake stderr line, leak level paranoid"), child.describeOutput());
            assertTrue(child.agentErrorLines().isEmpty());
            // The leak checks of the app tests need a GC in the child to see a leak at all; with a JDK (as here and
            // in CI) jcmd is there, so a failing GC request is a broken harness, not bad luck.
            assertTrue(child.requestGc(), "jcmd GC.run on the child");
        }
    }

    @Test
    void childJvmThatDiesBeforeReadyFailsWithItsStderr(@TempDir Path tmp) throws Exception {
        Path jar = fakeAppJar(tmp);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ChildJvm.jar(jar).appArg("--die").start());
        assertTrue(e.getMessage().contains("exited before printing READY"), e.getMessage());
        assertTrue(e.getMessage().contains("boom: refusing to start"), e.getMessage());
    }

    @Test
    void missingJarFailsWithBuildHint() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> ChildJvm.app("no-such-app").start());
        assertTrue(e.getMessage().contains("mvn"), e.getMessage());
    }

    @Test
    void agentOptionsGoOnTheCommandLine() {
        List<String> cmd = ChildJvm.app(TestApps.NETTY).agent("mode=report").jvmArg("-Xmx64m").command();
        assertEquals("-javaagent:" + Repo.agentJar() + "=mode=report", cmd.get(1));
        assertEquals(ChildJvm.LEAK_DETECTION, cmd.get(2));
        assertEquals(ChildJvm.SHADED_LEAK_DETECTION, cmd.get(3));
        assertEquals("-Xmx64m", cmd.get(4));
        assertEquals(List.of("-jar", Repo.appJar(TestApps.NETTY).toString(), "--port", "0"),
                cmd.subList(5, cmd.size()));
        assertEquals("-javaagent:" + Repo.agentJar(), ChildJvm.app(TestApps.NETTY).agent().command().get(1));
    }

    /** Packs FakeApp.class into an executable jar. */
    private static Path fakeAppJar(Path dir) throws Exception {
        Path jar = dir.resolve("fake-app.jar");
        Manifest mf = new Manifest();
        mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, FakeApp.class.getName());
        String entry = FakeApp.class.getName().replace('.', '/') + ".class";
        try (OutputStream os = Files.newOutputStream(jar);
                JarOutputStream out = new JarOutputStream(os, mf);
                InputStream in = FakeApp.class.getClassLoader().getResourceAsStream(entry)) {
            out.putNextEntry(new JarEntry(entry));
            in.transferTo(out);
            out.closeEntry();
        }
        return jar;
    }
}
