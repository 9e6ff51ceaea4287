package dev.h2patch.it.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.harness.Cli;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.TlsKeys;
import dev.h2patch.it.harness.Wire;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@code java -jar h2patch-agent.jar probe https://127.0.0.1:PORT --insecure} against netty-server and jetty121-server
 * in their TLS mode (SslHandler / SslConnectionFactory, ALPN h2), without and with the agent: the probe must give
 * opposite verdicts for the end-stream and proxy-safe-reset bugs over TLS as it does over h2c (probe.ProbeTest,
 * docs/probe.md). early-settings is ok either way; what it saw tells Jetty's wait for the client's preface (without
 * the agent) from SETTINGS right after the handshake.
 */
@Timeout(120)
class TlsProbeTest {
    /** The probe's exit code when it saw a bug. */
    private static final int BUG = 11;
    private static final String FAIL = "/h2patch.Test/Fail";
    private static final String REJECT_UPLOAD = "/h2patch.Test/RejectUpload";

    private static Cli.Result probe(int port) throws Exception {
        return Cli.run("probe", "https://127.0.0.1:" + port, "--insecure", "--json", "--grpc-method", FAIL,
                "--upload-path", REJECT_UPLOAD);
    }

    private static String verdict(Cli.Result r, String check) {
        String verdict = r.verdict(check);
        assertTrue(verdict != null, "no verdict for " + check + " in:\n" + r);
        return verdict;
    }

    static Stream<String> apps() {
        return Stream.of(TestApps.NETTY, TestApps.app("jetty121-server"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apps")
    void overTlsTheBugsWithoutTheAgentAndOkWithIt(String app) throws Exception {
        boolean jetty = TestApps.library(app).equals("Jetty");
        Cli.Result without;
        try (ChildJvm child = TlsKeys.tls(ChildJvm.app(app)).start()) {
            without = probe(child.port());
            String ctx = "\n" + without + "\n" + child.describeOutput();
            System.err.println("[tls] probe, " + app + " --tls without agent:\n" + without);
            assertTrue(without.out().contains("\"transport\":\"TLS, ALPN h2\""), ctx);
            assertEquals(BUG, without.exit(), ctx);
            assertEquals("BUG", verdict(without, "end-stream"), ctx);
            assertTrue(without.saw("end-stream").contains("grpc-status 5), DATA(0, END_STREAM)"), ctx);
            assertEquals("BUG", verdict(without, "proxy-safe-reset"), ctx);
            assertTrue(without.saw("proxy-safe-reset").contains("RST_STREAM(CANCEL)"), ctx);
            assertEquals("ok", verdict(without, "early-settings"), ctx);
            assertTrue(without.saw("early-settings").contains(jetty ? "silent until the client spoke"
                    : "before the client spoke"), ctx);
        }
        try (ChildJvm child = TlsKeys.tls(Wire.withAgentUnderTest(app, null)).start()) {
            Cli.Result with = probe(child.port());
            String ctx = "\n" + with + "\nwithout the agent:\n" + without + "\n" + child.describeOutput();
            System.err.println("[tls] probe, " + app + " --tls with agent:\n" + with);
            assertTrue(with.out().contains("\"transport\":\"TLS, ALPN h2\""), ctx);
            assertEquals(0, with.exit(), ctx);
            assertEquals("ok", verdict(with, "end-stream"), ctx);
            assertTrue(with.saw("end-stream").contains("grpc-status 5, END_STREAM)"), ctx);
            assertEquals("ok", verdict(with, "proxy-safe-reset"), ctx);
            assertEquals("ok", verdict(with, "early-settings"), ctx);
            assertTrue(with.saw("early-settings").contains("before the client spoke"), ctx);
        }
    }
}
