package dev.h2patch.it.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.harness.Cli;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.TlsKeys;
import dev.h2patch.it.harness.Wire;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code java -jar h2patch-agent.jar probe https://127.0.0.1:PORT --insecure} against netty-server in its TLS mode
 * (SslHandler, ALPN h2), without and with the agent: the probe must give opposite verdicts for the end-stream and
 * proxy-safe-reset bugs over TLS as it does over h2c (probe.ProbeTest, docs/probe.md).
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

    @Test
    void nettyOverTlsGetsBugWithoutTheAgentAndOkWithIt() throws Exception {
        Cli.Result without;
        try (ChildJvm child = TlsKeys.tls(ChildJvm.app(TestApps.NETTY)).start()) {
            without = probe(child.port());
            String ctx = "\n" + without + "\n" + child.describeOutput();
            System.err.println("[tls] probe, " + TestApps.NETTY + " --tls without agent:\n" + without);
            assertTrue(without.out().contains("\"transport\":\"TLS, ALPN h2\""), ctx);
            assertEquals(BUG, without.exit(), ctx);
            assertEquals("BUG", verdict(without, "end-stream"), ctx);
            assertTrue(without.saw("end-stream").contains("grpc-status 5), DATA(0, END_STREAM)"), ctx);
            assertEquals("BUG", verdict(without, "proxy-safe-reset"), ctx);
            assertTrue(without.saw("proxy-safe-reset").contains("RST_STREAM(CANCEL)"), ctx);
            assertEquals("ok", verdict(without, "early-settings"), ctx);
        }
        try (ChildJvm child = TlsKeys.tls(Wire.withAgentUnderTest(TestApps.NETTY, null)).start()) {
            Cli.Result with = probe(child.port());
            String ctx = "\n" + with + "\nwithout the agent:\n" + without + "\n" + child.describeOutput();
            System.err.println("[tls] probe, " + TestApps.NETTY + " --tls with agent:\n" + with);
            assertTrue(with.out().contains("\"transport\":\"TLS, ALPN h2\""), ctx);
            assertEquals(0, with.exit(), ctx);
            assertEquals("ok", verdict(with, "end-stream"), ctx);
            assertTrue(with.saw("end-stream").contains("grpc-status 5, END_STREAM)"), ctx);
            assertEquals("ok", verdict(with, "proxy-safe-reset"), ctx);
            assertEquals("ok", verdict(with, "early-settings"), ctx);
        }
    }
}
