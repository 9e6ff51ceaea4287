package dev.h2patch.it.delivery;

import static dev.h2patch.it.harness.Wire.FAIL;
import static dev.h2patch.it.harness.Wire.FAIL_PATH;
import static dev.h2patch.it.harness.Wire.context;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Exchange;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.GrpcCalls;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.Cli;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.Wire;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's command line against a running buggy app: list, attach (twice), status counters, detach, report
 * mode, and each preflight error with its message and exit code. Only pids started by the test are ever attached to.
 */
@Timeout(180)
class CliTest {

    static final Path TEMURIN_25 = Paths.get("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java");

    @Test
    void attachStatusDetachAndReportMode() throws Exception {
        try (ChildJvm child = ChildJvm.app(TestApps.NETTY).start()) {
            String pid = Long.toString(child.pid());
            assertEquals(Status.Code.INTERNAL, GrpcCalls.unary(child.port(), FAIL).code(), "the bug, no agent yet");

            Cli.Result list = Cli.run("list");
            assertEquals(0, list.exit(), list.toString());
            assertTrue(lineOf(list, pid).matches(pid + "\\s+\\d+\\s+Netty\\s+-\\s.*"), "not loaded, Netty\n" + list);

            Cli.Result notLoaded = Cli.run("status", pid);
            assertEquals(9, notLoaded.exit(), notLoaded.toString());
            assertTrue(notLoaded.err().contains("h2patch is not active in " + pid), notLoaded.toString());

            Cli.Result attach = Cli.run("attach", pid);
            assertEquals(0, attach.exit(), attach + "\n" + child.describeOutput());
            assertTrue(attach.out().contains("attached to " + pid), attach.toString());
            Exchange fixed = FrameRecorder.exchange(child.port(), Request.grpc(FAIL_PATH));
            Wire.assertFixed(fixed, child);
            assertEquals(Status.Code.NOT_FOUND, GrpcCalls.unary(child.port(), FAIL).code(), "fixed after attach");

            Cli.Result again = Cli.run("attach", pid);
            assertEquals(0, again.exit(), again.toString());
            assertTrue(again.out().contains("already active in " + pid) && again.out().contains("nothing to do"),
                    again.toString());
            assertNotNull(child.awaitStderr(l -> l.contains("end-stream: active"), Duration.ofSeconds(5)));
            assertEquals(1, child.stderrLines().stream().filter(l -> l.contains("(attach): mode=fix")).count(),
                    "one banner: the second attach loaded nothing\n" + child.describeOutput());

            list = Cli.run("list");
            assertTrue(lineOf(list, pid).matches(pid + "\\s+\\d+\\s+Netty\\s+\\S+ fix\\s+all\\s.*"), list.toString());

            Cli.Result status = Cli.run("status", pid, "--json");
            assertEquals(0, status.exit(), status.toString());
            assertTrue(status.out().contains("\"mode\":\"fix\"") && status.out().contains("\"loadedBy\":\"attach\"")
                    && status.out().contains("end-stream: active for Netty"), status.toString());
            long folded = status.counter("end-stream", "folded");
            assertTrue(folded >= 2, "two buggy calls were folded so far\n" + status);
            GrpcCalls.unary(child.port(), FAIL);
            Cli.Result later = Cli.run("status", pid, "--json");
            assertEquals(folded + 1, later.counter("end-stream", "folded"), "one more call, one more fold\n" + later);
            Cli.Result text = Cli.run("status", pid);
            assertTrue(text.out().contains("end-stream") && text.out().contains("folded=" + (folded + 1)),
                    text.toString());

            Cli.Result detach = Cli.run("detach", pid);
            assertEquals(0, detach.exit(), detach + "\n" + child.describeOutput());
            assertTrue(detach.out().contains("detached from " + pid), detach.toString());
            GrpcCalls.Outcome back = GrpcCalls.unary(child.port(), FAIL);
            assertEquals(Status.Code.INTERNAL, back.code(), "detach brings the bug back: " + back);
            Wire.assertUnfixed(FrameRecorder.exchange(child.port(), Request.grpc(FAIL_PATH)), child);
            Cli.Result gone = Cli.run("status", pid);
            assertEquals(9, gone.exit(), gone.toString());
            assertEquals(9, Cli.run("detach", pid).exit(), "detaching twice");

            Cli.Result report = Cli.run("attach", pid, "mode=report");
            assertEquals(0, report.exit(), report + "\n" + child.describeOutput());
            assertTrue(report.out().contains("mode=report"), report.toString());
            for (int i = 0; i < 3; i++) {
                assertEquals(Status.Code.INTERNAL, GrpcCalls.unary(child.port(), FAIL).code(), "report mode");
            }
            Exchange unchanged = FrameRecorder.exchange(child.port(), Request.grpc(FAIL_PATH));
            Wire.assertUnfixed(unchanged, child);
            Cli.Result counted = Cli.run("status", pid, "--json");
            assertTrue(counted.out().contains("\"mode\":\"report\""), counted.toString());
            assertEquals(4, counted.counter("end-stream", "would-fold"), "counts each call it would fix\n" + counted
                    + context(unchanged, child));
            assertEquals(0, counted.counter("end-stream", "folded"), "and changes none\n" + counted);
            assertEquals(0, counted.counter("end-stream", "dropped-writes"), counted.toString());
        }
    }

    @Test
    void statusAndDetachWorkForAnAgentLoadedWithJavaagent() throws Exception {
        try (ChildJvm child = ChildJvm.app(TestApps.NETTY).agent().start()) {
            String pid = Long.toString(child.pid());
            assertEquals(Status.Code.NOT_FOUND, GrpcCalls.unary(child.port(), FAIL).code(), "fixed from the start");
            // Right after start, with no MBean server in the JVM: status asks the agent itself.
            Cli.Result status = Cli.run("status", pid, "--json");
            assertEquals(0, status.exit(), status + "\n" + child.describeOutput());
            assertTrue(status.out().contains("\"loadedBy\":\"premain\""), status.toString());
            assertEquals(1, status.counter("end-stream", "folded"), status.toString());

            Cli.Result detach = Cli.run("detach", pid);
            assertEquals(0, detach.exit(), detach + "\n" + child.describeOutput());
            assertEquals(Status.Code.INTERNAL, GrpcCalls.unary(child.port(), FAIL).code(), "the bug is back");
            Cli.Result list = Cli.run("list");
            assertTrue(lineOf(list, pid).matches(pid + "\\s+\\d+\\s+Netty\\s+-\\s.*"), list.toString());
        }
    }

    /** {@code list} names the library of a Tomcat and an Undertow app (fat jars: judged by their contents). */
    @Test
    void listNamesTomcatAndUndertow() throws Exception {
        for (String[] app : new String[][] {{"tomcat11-server", "Tomcat"}, {"undertow24-server", "Undertow"}}) {
            try (ChildJvm child = ChildJvm.app(TestApps.app(app[0])).start()) {
                String pid = Long.toString(child.pid());
                Cli.Result list = Cli.run("list");
                assertTrue(lineOf(list, pid).matches(pid + "\\s+\\d+\\s+" + app[1] + "\\s+-\\s.*"),
                        app[0] + " should be listed with " + app[1] + "\n" + list);
            }
        }
    }

    @Test
    void preflightErrorsHaveTheirOwnMessageAndExitCode() throws Exception {
        Cli.Result usage = Cli.run("attach", "12345", "fixes=nonsense");
        assertEquals(2, usage.exit(), usage.toString());
        assertTrue(usage.err().contains("unknown fix 'nonsense'"), usage.toString());
        assertEquals(2, Cli.run("frobnicate").exit());
        Cli.Result help = Cli.run("attach", "--help");
        assertEquals(0, help.exit(), help.toString());
        assertTrue(help.out().contains("Usage: java -jar h2patch-agent.jar attach")
                && help.out().contains("Exit codes"), help.toString());

        long missing = 4_000_000;
        while (Files.exists(Paths.get("/proc", Long.toString(missing)))) {
            missing++;
        }
        Cli.Result noSuch = Cli.run("attach", Long.toString(missing));
        assertEquals(3, noSuch.exit(), noSuch.toString());
        assertTrue(noSuch.err().contains("no process with pid " + missing), noSuch.toString());

        Process sleep = new ProcessBuilder("sleep", "120").start();
        try {
            Cli.Result notJava = Cli.run("attach", Long.toString(sleep.pid()));
            assertEquals(6, notJava.exit(), notJava.toString());
            assertTrue(notJava.err().contains("is not a Java VM"), notJava.toString());
            assertTrue(sleep.isAlive(), "the non-Java process must not be signalled");
        } finally {
            sleep.destroy();
        }

        try (ChildJvm closed = ChildJvm.app(TestApps.NETTY).jvmArg("-XX:+DisableAttachMechanism").start()) {
            Cli.Result disabled = Cli.run("attach", Long.toString(closed.pid()));
            assertEquals(5, disabled.exit(), disabled.toString());
            assertTrue(disabled.err().contains("-XX:+DisableAttachMechanism"), disabled.toString());
            assertTrue(closed.stdoutLines().stream().noneMatch(l -> l.contains("Full thread dump")),
                    "no thread dump on the app's stdout\n" + closed.describeOutput());
        }
    }

    @Test
    void anotherUserIsRefused() throws Exception {
        assumeTrue(isRoot() && Files.isExecutable(Paths.get("/usr/bin/setpriv")),
                "needs root and setpriv, to run the command as nobody");
        try (ChildJvm child = ChildJvm.app(TestApps.NETTY).start()) {
            Cli.Result other = Cli.runWith(
                    List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"),
                    Paths.get(System.getProperty("java.home"), "bin", "java"), "attach", Long.toString(child.pid()));
            assertEquals(4, other.exit(), other.toString());
            assertTrue(other.err().contains("belongs to user root") && other.err().contains("runs as user nobody"),
                    other.toString());
            assertTrue(child.stderrLines().stream().noneMatch(l -> l.contains("h2patch")), child.describeOutput());
        }
    }

    @Test
    void aJreWithoutTheAttachModuleIsRefused(@TempDir Path dir) throws Exception {
        Path jlink = Paths.get(System.getProperty("java.home"), "bin", "jlink");
        assumeTrue(Files.isExecutable(jlink), "needs jlink to build a JRE");
        Path jre = dir.resolve("jre");
        Process p = new ProcessBuilder(jlink.toString(), "--add-modules", "java.base,java.instrument,java.management",
                "--output", jre.toString(), "--no-header-files", "--no-man-pages")
                .redirectErrorStream(true).start();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS) && p.exitValue() == 0,
                "jlink failed: " + new String(p.getInputStream().readAllBytes()));
        Cli.Result noApi = Cli.runWith(List.of(), jre.resolve("bin/java"), "list");
        assertEquals(7, noApi.exit(), noApi.toString());
        assertTrue(noApi.err().contains("no attach API"), noApi.toString());
    }

    @Test
    void java25WarnsAboutJep451AndRefusesWhenDynamicAgentsAreDisabled() throws Exception {
        assumeTrue(Files.isExecutable(TEMURIN_25), "needs " + TEMURIN_25);
        try (ChildJvm child = ChildJvm.app(TestApps.NETTY).java(TEMURIN_25).start()) {
            Cli.Result attach = Cli.run("attach", Long.toString(child.pid()));
            assertEquals(0, attach.exit(), attach + "\n" + child.describeOutput());
            assertTrue(attach.err().contains("runs Java 25") && attach.err().contains("JEP 451")
                    && attach.err().contains("-XX:+EnableDynamicAgentLoading"), attach.toString());
            assertNotNull(child.awaitStderr(l -> l.contains("A Java agent has been loaded dynamically"),
                    Duration.ofSeconds(5)), child.describeOutput());
            assertEquals(Status.Code.NOT_FOUND, GrpcCalls.unary(child.port(), FAIL).code(), "fixed on Java 25");
        }
        try (ChildJvm child = ChildJvm.app(TestApps.NETTY).java(TEMURIN_25)
                .jvmArg("-XX:-EnableDynamicAgentLoading").start()) {
            Cli.Result refused = Cli.run("attach", Long.toString(child.pid()));
            assertEquals(8, refused.exit(), refused.toString());
            assertTrue(refused.err().contains("-XX:-EnableDynamicAgentLoading"), refused.toString());
        }
        try (ChildJvm child = ChildJvm.app(TestApps.NETTY).java(TEMURIN_25)
                .jvmArg("-XX:+EnableDynamicAgentLoading").start()) {
            Cli.Result quiet = Cli.run("attach", Long.toString(child.pid()));
            assertEquals(0, quiet.exit(), quiet.toString());
            assertTrue(!quiet.err().contains("JEP 451"), "no warning when the JVM allows dynamic agents\n" + quiet);
        }
    }

    static boolean isRoot() {
        try {
            return ((Integer) Files.getAttribute(Paths.get("/proc/self"), "unix:uid")) == 0;
        } catch (Exception e) {
            return false;
        }
    }

    private static String lineOf(Cli.Result list, String pid) {
        return list.out().lines().filter(l -> l.startsWith(pid + " ")).findFirst()
                .orElseThrow(() -> new AssertionError("pid " + pid + " not listed\n" + list));
    }
}
