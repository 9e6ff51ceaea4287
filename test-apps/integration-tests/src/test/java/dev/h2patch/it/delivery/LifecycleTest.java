package dev.h2patch.it.delivery;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.h2patch.it.Catalog;
import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.GrpcCalls;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.Cli;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.Wire;
import dev.h2patch.it.proxysafereset.RejectUploadCall;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What the agent leaves in, and opens in, the JVM it runs in: after detach no h2patch system property, thread or
 * held-back reset remains; {@code status} opens no port and starts no JMX connector; the agent never creates the
 * platform MBean server itself (so it never initializes java.util.logging before the application), and its MBean is
 * there for a JMX client the application enabled. Checked from outside with {@code jcmd} (from the JDK running the
 * tests) and {@code /proc}.
 */
@Timeout(180)
class LifecycleTest {

    private static final String REJECT_UPLOAD = "/h2patch.Test/RejectUpload";
    private static final String OBJECT_NAME = "h2patch:type=Agent";

    /** A Jetty 12.0 and a Netty 4.1 app that hold a reset back (proxy-safe-reset). */
    static Stream<String> detachApps() {
        return Catalog.names(a -> a.runsAsJar() && a.claims("proxy-safe-reset")
                && (a.libraryLine().equals("Jetty 12.0") || a.libraryLine().equals("Netty 4.1")));
    }

    /**
     * Attach to a Jetty 12.0 or a Netty app, hold a reset back (proxy-safe-reset, a bound of 60 s; on Jetty the reset
     * timer thread is then running), detach: the held-back reset goes out at once as RST_STREAM(NO_ERROR), no
     * h2patch thread is left, and the system properties that mention h2patch are those from before the attach (the
     * app's own command line may mention the repository's path).
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("detachApps")
    void detachLeavesNoPropertyThreadOrHeldBackResetBehind(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).start()) {
            String pid = Long.toString(child.pid());
            Set<String> before = h2patchProperties(pid);

            Cli.Result attach = Cli.run("attach", pid, "reset-defer-ms=60000");
            assertEquals(0, attach.exit(), attach + "\n" + child.describeOutput());

            try (FrameRecorder r = FrameRecorder.connect(child.port())) {
                r.sendPreface();
                int id = r.openStream(Request.grpc(REJECT_UPLOAD).withBody((byte[]) null));
                r.sendData(id, Request.grpcFrame(new byte[0]), false);
                r.awaitStreamEnd(id, Duration.ofSeconds(10));
                assertTrue(r.streamEnded(id), "the complete response, while the client still sends\n" + r.describe()
                        + child.describeOutput());
                r.sendData(id, Request.grpcFrame(new byte[0]), false);
                r.readFor(Duration.ofMillis(500));
                assertFalse(RejectUploadCall.hasReset(r, id), "the reset is held back (bound 60 s)\n" + r.describe());
                if (TestApps.library(app).equals("Jetty")) {
                    assertTrue(awaitThreads(pid, true).contains("h2patch-jetty-reset-timer"),
                            "the Jetty reset timer runs while a reset is held back\n" + jcmd(pid, "Thread.print"));
                }

                Detached d = detachAndAwaitReset(child, r, id);
                Set<String> after = h2patchProperties(pid);
                assertAll(
                    () -> assertEquals(List.of(0L), d.codes(), "detach sends the held-back reset at once, as NO_ERROR"
                            + " (not after the 60 s bound); waited " + d.waitedMs() + " ms\n" + d.wire()
                            + child.describeOutput()),
                    () -> assertEquals(List.of(), d.threads(), "no h2patch thread after detach\n" + d.dump()),
                    () -> assertEquals(before, after, "no h2patch system property after detach"));
            }

            // The app serves on as without the agent.
            try (FrameRecorder r = FrameRecorder.connect(child.port())) {
                r.sendPreface();
                int id = r.request(Request.get("/hello"));
                r.awaitStreamEnd(id, Duration.ofSeconds(5));
                assertTrue(r.streamEnded(id), r.describe());
            }
        }
    }

    /** The Undertow apps with native handlers (2.2, 2.3, 2.4): a silent client's reset waits on the agent's timer. */
    static Stream<String> undertowNativeApps() {
        return Catalog.names(a -> a.runsAsJar() && a.library().equals("Undertow") && !a.name().contains("-servlet-"));
    }

    /**
     * Attach to an Undertow app (proxy-safe-reset, a bound of 60 s), open an upload and send nothing more: the
     * complete answer comes at once, and the reset that ends the silent upload waits for the bound on the agent's
     * timer while Undertow's worker thread reads. Detach: that reset goes out at once as RST_STREAM(NO_ERROR), no
     * h2patch thread is left, and the app serves on. (Before, detach dropped the waiting reset: no frame came, and the
     * worker thread stayed in its read with no bound.)
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("undertowNativeApps")
    void detachSendsAnUndertowResetWaitingForItsBoundAtOnce(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).start()) {
            String pid = Long.toString(child.pid());
            Cli.Result attach = Cli.run("attach", pid, "reset-defer-ms=60000");
            assertEquals(0, attach.exit(), attach + "\n" + child.describeOutput());

            try (FrameRecorder r = FrameRecorder.connect(child.port())) {
                r.sendPreface();
                r.awaitServerSettings(Duration.ofSeconds(5));
                int id = r.openStream(Request.grpc(REJECT_UPLOAD).withBody(new byte[0])); // HEADERS only, stream open
                r.awaitStreamEnd(id, Duration.ofSeconds(10));
                assertTrue(r.streamEnded(id), "the complete answer at once\n" + r.describe() + child.describeOutput());
                r.readFor(Duration.ofMillis(500));
                assertFalse(RejectUploadCall.hasReset(r, id), "the reset waits for its bound (60 s)\n" + r.describe());
                assertTrue(awaitThreads(pid, true).contains("h2patch-undertow-reset"),
                        "the reset timer runs while the reset waits\n" + jcmd(pid, "Thread.print"));

                Detached d = detachAndAwaitReset(child, r, id);
                assertAll(
                    () -> assertEquals(List.of(0L), d.codes(), "detach sends the waiting reset at once, as NO_ERROR"
                            + " (not after the 60 s bound); waited " + d.waitedMs() + " ms\n" + d.wire()
                            + child.describeOutput()),
                    () -> assertEquals(List.of(), d.threads(), "no h2patch thread after detach\n" + d.dump()));
            }

            try (FrameRecorder r = FrameRecorder.connect(child.port())) {
                r.sendPreface();
                int id = r.request(Request.get("/hello"));
                r.awaitStreamEnd(id, Duration.ofSeconds(5));
                assertTrue(r.streamEnded(id), "the app serves on\n" + r.describe());
            }
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    /**
     * {@code status} (text and JSON) against an agent loaded with -javaagent: before it, the app's own port is the
     * target's only listening socket; after it, no new listening socket in the target, and its management agent
     * stays off ({@code jcmd PID ManagementAgent.status}); the status file is gone.
     */
    @Test
    void statusOpensNothingInTheTarget() throws Exception {
        try (ChildJvm child = ChildJvm.app(TestApps.NETTY).agent().start()) {
            String pid = Long.toString(child.pid());
            GrpcCalls.unary(child.port(), Wire.FAIL);
            Set<String> listening = listeningSockets(child.pid());
            String appPort = String.format(":%04X", child.port());
            assertEquals(1, listening.size(), "with the agent loaded, the app's own port is the only one: "
                    + listening);
            assertTrue(listening.iterator().next().endsWith(appPort), listening + " is not the app's port " + appPort);
            String management = jcmd(pid, "ManagementAgent.status");
            Set<String> statusFiles = statusFiles();

            Cli.Result text = Cli.run("status", pid);
            assertEquals(0, text.exit(), text + "\n" + child.describeOutput());
            assertTrue(text.out().contains("mode=fix, loaded by premain") && text.out().contains("folded=1"),
                    text.toString());
            Cli.Result json = Cli.run("status", pid, "--json");
            assertEquals(0, json.exit(), json.toString());
            assertEquals(1, json.counter("end-stream", "folded"), json.toString());
            assertTrue(json.out().contains("\"loadedBy\":\"premain\"") && json.out().contains("end-stream: active"),
                    json.toString());

            assertEquals(listening, listeningSockets(child.pid()), "status opened a listening socket in the target");
            assertEquals(management, jcmd(pid, "ManagementAgent.status"), "status started the management agent");
            assertEquals(statusFiles, statusFiles(), "the status file and its directory are deleted");
            assertEquals(List.of(), child.stderrLines().stream().filter(l -> l.contains("WARN h2patch"))
                    .collect(Collectors.toList()), child.describeOutput());
        }
    }

    /**
     * Run as root against another user's JVM (here nobody's), status hands the owner-only file to that user for the
     * request, gets its answer, and leaves no status directory behind.
     */
    @Test
    void statusAsRootAnswersForAnotherUsersJvm(@TempDir Path dir) throws Exception {
        assumeTrue(CliTest.isRoot() && Files.isExecutable(Paths.get("/usr/bin/setpriv")),
                "needs root and setpriv, to run the app as nobody");
        Path java = dir.resolve("java");
        Files.writeString(java, "#!/bin/sh\nexec /usr/bin/setpriv --reuid=nobody --regid=nogroup --clear-groups "
                + Paths.get(System.getProperty("java.home"), "bin", "java") + " \"$@\"\n");
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (ChildJvm child = ChildJvm.app(TestApps.NETTY).java(java).agent().start()) {
            String pid = Long.toString(child.pid());
            assertEquals(65534, Files.getAttribute(Paths.get("/proc", pid), "unix:uid"), "the app runs as nobody");
            Set<String> statusFiles = statusFiles();
            Cli.Result json = Cli.run("status", pid, "--json");
            assertEquals(0, json.exit(), json + "\n" + child.describeOutput());
            assertTrue(json.out().contains("\"loadedBy\":\"premain\""), json.toString());
            assertEquals(statusFiles, statusFiles(), "the status file and its directory are deleted");
        }
    }

    /**
     * After -javaagent the agent never creates the platform MBean server (which initializes java.util.logging) on its
     * own — not after the 10 s the agent used to wait, not on status: the heap has no {@code JmxMBeanServer}.
     */
    @Test
    void theAgentNeverCreatesThePlatformMBeanServer() throws Exception {
        try (ChildJvm child = ChildJvm.app(TestApps.NETTY).agent().start()) {
            String pid = Long.toString(child.pid());
            Thread.sleep(12_000);
            assertFalse(jcmd(pid, "GC.class_histogram").contains("com.sun.jmx.mbeanserver.JmxMBeanServer "),
                    "12 s after start the agent has created an MBean server");
            Cli.Result status = Cli.run("status", pid);
            assertEquals(0, status.exit(), status.toString());
            assertFalse(jcmd(pid, "GC.class_histogram").contains("com.sun.jmx.mbeanserver.JmxMBeanServer "),
                    "status created an MBean server");
        }
    }

    /**
     * A JMX client of the application's own connector ({@code -Dcom.sun.management.jmxremote}) sees the MBean: at
     * once after an attach (the server exists), after the first status with -javaagent (the JVM starts that connector
     * after the agent's premain); and no longer after detach.
     */
    @Test
    void aJmxClientTheApplicationEnabledSeesTheMBean() throws Exception {
        try (ChildJvm child = ChildJvm.app(TestApps.NETTY).jvmArg("-Dcom.sun.management.jmxremote").start()) {
            String pid = Long.toString(child.pid());
            Cli.Result attach = Cli.run("attach", pid, "mode=report");
            assertEquals(0, attach.exit(), attach.toString());
            try (JMXConnector jmx = connect(pid)) {
                MBeanServerConnection server = jmx.getMBeanServerConnection();
                assertTrue(server.isRegistered(new ObjectName(OBJECT_NAME)), "registered at attach");
                assertEquals("report", server.getAttribute(new ObjectName(OBJECT_NAME), "Mode"));
                assertEquals(0, Cli.run("detach", pid).exit());
                assertFalse(server.isRegistered(new ObjectName(OBJECT_NAME)), "unregistered at detach");
            }
        }
        try (ChildJvm child = ChildJvm.app(TestApps.NETTY).agent().jvmArg("-Dcom.sun.management.jmxremote").start()) {
            String pid = Long.toString(child.pid());
            Cli.Result status = Cli.run("status", pid);
            assertEquals(0, status.exit(), status.toString());
            try (JMXConnector jmx = connect(pid)) {
                MBeanServerConnection server = jmx.getMBeanServerConnection();
                assertTrue(server.isRegistered(new ObjectName(OBJECT_NAME)), "registered by the first status");
                assertEquals("premain", server.getAttribute(new ObjectName(OBJECT_NAME), "LoadedBy"));
            }
        }
    }

    // ------------------------------------------------------------------------------------------------- helpers

    /** The application's own local JMX connector (started by -Dcom.sun.management.jmxremote), via the attach API. */
    private static JMXConnector connect(String pid) throws Exception {
        com.sun.tools.attach.VirtualMachine vm = com.sun.tools.attach.VirtualMachine.attach(pid);
        String address;
        try {
            address = vm.getAgentProperties().getProperty("com.sun.management.jmxremote.localConnectorAddress");
        } finally {
            vm.detach();
        }
        assertTrue(address != null, "the app's local connector is up");
        return JMXConnectorFactory.connect(new JMXServiceURL(address));
    }

    /** Lines of {@code jcmd PID VM.system_properties} that mention h2patch (key or value). */
    private static Set<String> h2patchProperties(String pid) throws Exception {
        return jcmd(pid, "VM.system_properties").lines().filter(l -> l.toLowerCase().contains("h2patch"))
                .collect(Collectors.toCollection(TreeSet::new));
    }

    /** Live threads called {@code h2patch-*}; waits up to 10 s for there to be some ({@code present}) or none. */
    /** What a detach left: the codes of the resets on the stream, the wait for them, the h2patch threads after it. */
    record Detached(List<Long> codes, long waitedMs, List<String> threads, String dump, String wire) {}

    /** Detaches from {@code child}, then reads until {@code id}'s RST_STREAM (at most 10 s) and the threads are gone. */
    private static Detached detachAndAwaitReset(ChildJvm child, FrameRecorder r, int id) throws Exception {
        String pid = Long.toString(child.pid());
        Cli.Result detach = Cli.run("detach", pid);
        assertEquals(0, detach.exit(), detach + "\n" + child.describeOutput());
        long detached = System.nanoTime();
        List<Frame> frames = r.readUntil(f -> f.streamId() == id && f.is(Frame.RST_STREAM), Duration.ofSeconds(10));
        List<Long> codes = FrameRecorder.responseFrames(frames, id).stream()
                .filter(f -> f.is(Frame.RST_STREAM)).map(Frame::errorCode).collect(Collectors.toList());
        long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - detached);
        List<String> threads = awaitThreads(pid, false);
        return new Detached(codes, waited, threads, jcmd(pid, "Thread.print"), r.describe());
    }

    private static List<String> awaitThreads(String pid, boolean present) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            List<String> names = jcmd(pid, "Thread.print").lines().filter(l -> l.startsWith("\"h2patch"))
                    .map(l -> l.substring(1, l.indexOf('"', 1))).collect(Collectors.toList());
            if (names.isEmpty() != present || System.nanoTime() > deadline) {
                return names;
            }
            Thread.sleep(200);
        }
    }

    private static String jcmd(String pid, String command) throws IOException, InterruptedException {
        Path jcmd = Paths.get(System.getProperty("java.home"), "bin", "jcmd");
        Process p = new ProcessBuilder(jcmd.toString(), pid, command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "jcmd " + command);
        String text = new String(out, StandardCharsets.UTF_8);
        assertEquals(0, p.exitValue(), "jcmd " + pid + " " + command + ":\n" + text);
        return text;
    }

    /** The local addresses of the TCP sockets in LISTEN state that the process holds (its fds, /proc/net/tcp*). */
    static Set<String> listeningSockets(long pid) throws IOException {
        Set<String> inodes = new TreeSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Paths.get("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds) {
                try {
                    String link = Files.readSymbolicLink(fd).toString();
                    if (link.startsWith("socket:[")) {
                        inodes.add(link.substring(8, link.length() - 1));
                    }
                } catch (IOException closedMeanwhile) {
                    // gone
                }
            }
        }
        Set<String> listening = new TreeSet<>();
        for (String table : List.of("tcp", "tcp6")) {
            Path file = Paths.get("/proc", Long.toString(pid), "net", table);
            if (!Files.exists(file)) {
                continue;
            }
            for (String line : Files.readAllLines(file)) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && f[3].equals("0A") && inodes.contains(f[9])) {
                    listening.add(table + " " + f[1]);
                }
            }
        }
        assertFalse(listening.isEmpty(), "the app's own listening socket should be found");
        return listening;
    }

    private static Set<String> statusFiles() throws IOException {
        Set<String> names = new TreeSet<>();
        try (DirectoryStream<Path> tmp = Files.newDirectoryStream(Paths.get(System.getProperty("java.io.tmpdir")),
                "h2patch-status-*")) {
            for (Path p : tmp) {
                names.add(p.toString());
            }
        }
        return names;
    }
}
