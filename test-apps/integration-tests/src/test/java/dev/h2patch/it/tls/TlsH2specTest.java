package dev.h2patch.it.tls;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.h2patch.it.Catalog;
import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.harness.RequiredPeer;
import dev.h2patch.it.TlsKeys;
import dev.h2patch.it.harness.Wire;
import dev.h2patch.it.interop.H2spec;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * h2spec 2.2.0 over TLS ({@code h2spec -t -k -o 2}) against the h2spec-quick apps in their TLS mode, without and with
 * the agent, with the interop suite's rule (docs/interop.md): no case may fail with the agent that passed without it.
 * While a case fails only with the agent, both sides run again, up to three runs each ({@link H2spec#settle}, as the
 * suite does): it counts only if it failed in every run with the agent and passed in every run without, and then also
 * in each of {@link H2spec#ALONE_RUNS} runs of that case alone with the agent. One re-run was not enough: {@code
 * http2/6.9.2/1} on jetty121-server over TLS failed alone in 6 of 15 runs without the agent and 4 of 15 with it (run by
 * hand, 2026-12-03), and once failed twice with the agent and passed twice without; three were not either ({@code
 * http2/6.1/2} there, 2026-12-05: about a quarter of runs fail on both sides).
 */
@Timeout(1800)
class TlsH2specTest {

    static Stream<String> apps() {
        return Catalog.names(a -> a.hasConnector("tls") && a.runsAsJar() && a.hasRole("h2spec-quick"));
    }

    private static ChildJvm startTls(String app, boolean agent) throws Exception {
        ChildJvm.Builder builder = agent ? Wire.withAgentUnderTest(app, null) : ChildJvm.app(app);
        return TlsKeys.tls(builder).start();
    }

    private static String h2spec(String app, boolean agent) throws Exception {
        try (ChildJvm child = startTls(app, agent)) {
            return H2spec.run(child.port(), true);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("apps")
    void sameFailingSetWithAndWithoutTheAgent(String app) throws Exception {
        String without = h2spec(app, false);
        RequiredPeer.require(!without.startsWith("peer unavailable"), "h2spec: " + without
                + " (test-apps/interop/install-peers.sh)");
        String with = h2spec(app, true);
        String[] settled = H2spec.settle(without, with, agent -> h2spec(app, agent), (id, times) -> {
            try (ChildJvm child = startTls(app, true)) {
                return H2spec.failuresAlone(child.port(), true, id, times);
            }
        });
        H2spec.Comparison c = H2spec.compare(settled[0], settled[1]);
        System.err.println("[tls] h2spec -t " + app + ": without " + c.without() + "; with " + c.with() + "; "
                + c.verdict() + "; failing without: " + c.failingWithout());
        assertEquals(Set.of(), c.newlyFailing(), app + " over TLS: " + c);
    }
}
