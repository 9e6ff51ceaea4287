package dev.h2patch.it.delivery;

import static dev.h2patch.it.harness.Wire.FAIL_PATH;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Exchange;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.Cli;
import dev.h2patch.it.harness.RequiredPeer;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.Wire;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Attach while h2load (nghttp2-client) drives the buggy endpoint: no request fails because of the attach, and the
 * fix is active on the wire within 3 s of the attach command starting (6 s on an oversubscribed machine).
 */
@Timeout(120)
class AttachUnderLoadTest {

    static final Path H2LOAD = Paths.get("/usr/bin/h2load");
    static final Pattern SUMMARY = Pattern.compile(
            "requests: (\\d+) total, (\\d+) started, (\\d+) done, (\\d+) succeeded, (\\d+) failed, (\\d+) errored");

    /** The 1-minute load average (Linux), or 0 when unknown. */
    static double loadAverage() {
        try {
            return Double.parseDouble(Files.readString(Paths.get("/proc/loadavg")).split(" ")[0]);
        } catch (Exception e) {
            return 0;
        }
    }

    @Test
    void attachUnderLoadLosesNoRequestAndFixesWithinThreeSeconds() throws Exception {
        RequiredPeer.require(Files.isExecutable(H2LOAD), "needs h2load (Debian package nghttp2-client; .ci/run installs it)");
        try (ChildJvm child = ChildJvm.app(TestApps.NETTY).start()) {
            Wire.assertUnfixed(FrameRecorder.exchange(child.port(), Request.grpc(FAIL_PATH)), child);

            // 4 connections x 10 streams, 250 requests/s per connection, for 10 s; the attach comes after ~2 s, so
            // even an attach at the 5 s budget leaves seconds of load for the fix to fold.
            Process load = new ProcessBuilder(H2LOAD.toString(), "-c", "4", "-m", "10", "--rps", "250", "-D", "10",
                    "http://127.0.0.1:" + child.port() + FAIL_PATH).redirectErrorStream(true).start();
            CompletableFuture<String> report = CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(load.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (Exception e) {
                    return e.toString();
                }
            });
            Thread.sleep(2000);

            long start = System.nanoTime();
            Cli.Result attach = Cli.run("attach", Long.toString(child.pid()));
            assertEquals(0, attach.exit(), attach + "\n" + child.describeOutput());
            Exchange x;
            long fixedAfterMillis;
            while (true) {
                // When this exchange starts, measured from the start of the attach command: if it comes back
                // fixed, the fix was active by then.
                fixedAfterMillis = (System.nanoTime() - start) / 1_000_000;
                x = FrameRecorder.exchange(child.port(), Request.grpc(FAIL_PATH));
                if (x.responseFrames().size() == 1 || fixedAfterMillis > 5000) {
                    break;
                }
                Thread.sleep(20);
            }
            Wire.assertFixed(x, child);

            assertTrue(load.waitFor(30, TimeUnit.SECONDS), "h2load did not finish");
            String output = report.join();
            System.err.println("[AttachUnderLoadTest] attach command took " + attach.millis() + " ms; fixed on the"
                    + " wire " + fixedAfterMillis + " ms after it started\n" + output);
            Matcher m = SUMMARY.matcher(output);
            assertTrue(m.find(), "no h2load summary:\n" + output);
            long succeeded = Long.parseLong(m.group(4));
            assertEquals(0, Long.parseLong(m.group(5)), "failed requests\n" + output);
            assertEquals(0, Long.parseLong(m.group(6)), "errored requests\n" + output);
            assertTrue(succeeded > 1000, "the load ran\n" + output);
            // The bound is 3 s (docs/operations.md). Most of that time is CPU: the target loads ~1200 Byte Buddy
            // classes and checks every fix against the library (0.36-0.42 s of agent time on an idle 2-core machine,
            // 0.9 s for the whole command), while h2load and the server keep both cores busy; in a CI run on an
            // otherwise quiet machine the agent's part took 1.25 s and the wire saw the fix 2.14 s after the
            // command started. On a machine oversubscribed by other work the same attach takes several times longer,
            // so there the bound is 6 s and the test says why.
            double loadAverage = loadAverage();
            int cores = Runtime.getRuntime().availableProcessors();
            boolean oversubscribed = loadAverage > cores;
            long budget = oversubscribed ? 6000 : 3000;
            if (oversubscribed) {
                System.err.println("[AttachUnderLoadTest] load average " + loadAverage + " on " + cores
                        + " cores: checking against " + budget + " ms instead of 3000 ms");
            }
            assertTrue(fixedAfterMillis <= budget, "the fix should be active within " + budget + " ms of the attach"
                    + " command (load average " + loadAverage + " on " + cores + " cores), was " + fixedAfterMillis
                    + " ms\n" + attach);

            Cli.Result status = Cli.run("status", Long.toString(child.pid()), "--json");
            assertTrue(status.counter("end-stream", "folded") > 100, "the load was folded after the attach\n" + status);
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }
}
