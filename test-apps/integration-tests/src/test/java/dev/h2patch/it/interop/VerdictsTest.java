package dev.h2patch.it.interop;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every branch of the interop suite's and the matrix's verdicts, and which of them fail the run. */
class VerdictsTest {

    static final Scenarios.Peer GATING = new Scenarios.Peer("end-stream", "grpc-go", true, port -> "",
            s -> s.equals("healthy"), s -> s.equals("bug"));
    static final Scenarios.Peer OTHER = new Scenarios.Peer("end-stream", "curl", false, port -> "",
            s -> s.equals("healthy"), s -> s.equals("bug"));
    static final Scenarios.Peer NOTED = new Scenarios.Peer("early-settings", "cmux", false, port -> "",
            s -> s.equals("healthy"), s -> s.equals("bug"), "not fixable in the Java server: cmux");

    static Verdicts.Verdict interop(Scenarios.Peer p, boolean claimed, String without, String with) {
        return Verdicts.interop(p, "netty-server", claimed, false, without, with, null);
    }

    @Test
    void fixedOkWorse() {
        assertEquals(new Verdicts.Verdict("**fixed**", false), interop(GATING, true, "bug", "healthy"));
        assertEquals(new Verdicts.Verdict("ok without and with", false), interop(GATING, true, "healthy", "healthy"));
        assertEquals(new Verdicts.Verdict("**WORSE with the agent**", true), interop(OTHER, false, "healthy", "bug"));
    }

    /**
     * A doubtful result stands only if it repeats on every run: "worse" healthy every time without and never with, an
     * unclaimed "fixed" never healthy without and every time with.
     */
    @Test
    void doubtfulResultsStandOnlyWhenEveryRunAgrees() {
        assertEquals(null, Verdicts.repeated(true, 3, 3, 0));
        Verdicts.Verdict flaky = Verdicts.repeated(true, 3, 3, 1);
        assertFalse(flaky.regression());
        assertEquals("inconclusive: the result varies between runs: healthy in 3 of 3 runs without the agent, 1 of 3 "
                + "with it (the cells show the first)", flaky.text());
        assertFalse(Verdicts.repeated(true, 3, 2, 0).regression());
        assertTrue(Verdicts.repeated(true, 3, 2, 0).text().startsWith("inconclusive: the result varies"));
        assertEquals(null, Verdicts.repeated(false, 3, 0, 3));
        assertTrue(Verdicts.repeated(false, 3, 1, 3).text().startsWith("inconclusive: the result varies"));
        assertTrue(Verdicts.repeated(false, 3, 0, 2).text().startsWith("inconclusive: the result varies"));
    }

    @Test
    void aClaimedFixThatAGatingPeerStillSeesBrokenIsARegression() {
        assertEquals(new Verdicts.Verdict("**NOT FIXED (regression)**", true), interop(GATING, true, "bug", "bug"));
        assertEquals(new Verdicts.Verdict("**NOT FIXED (regression)**; agent: skipped for Netty 4.0", true),
                Verdicts.interop(GATING, "netty-server", true, false, "bug", "bug", "skipped for Netty 4.0"));
        Verdicts.Verdict notGating = interop(OTHER, true, "bug", "bug");
        assertFalse(notGating.regression());
        assertTrue(notGating.text().startsWith("not fixed for this peer"));
        Verdicts.Verdict unclaimed = interop(GATING, false, "bug", "bug");
        assertFalse(unclaimed.regression());
        assertEquals("not fixed: test-apps/catalog.txt does not claim `end-stream` for netty-server",
                unclaimed.text());
    }

    @Test
    void inconclusiveAndUnavailable() {
        assertEquals("peer unavailable: nghttp is not installed",
                interop(GATING, true, "peer unavailable: nghttp is not installed", "bug").text());
        assertEquals("inconclusive: not run: app did not start: x",
                interop(GATING, true, "bug", "not run: app did not start: x").text());
        assertEquals("inconclusive: " + Verdicts.NO_ROUTE, interop(GATING, true, "HTTP 404", "healthy").text());
        assertEquals("inconclusive: better with the agent, but without it the peer did not get as far as the bug's "
                + "symptom (no response at all: the app did not speak first — the early-settings bug)",
                interop(GATING, true, "dial error: context deadline exceeded", "healthy").text());
        assertEquals("inconclusive: the peer saw the bug's symptom on one run only",
                interop(GATING, true, "bug", "other").text());
        assertEquals("inconclusive: the peer saw neither the bug's symptom nor the healthy result",
                interop(GATING, true, "other", "other").text());
        assertFalse(interop(GATING, true, "other", "other").regression());
    }

    @Test
    void noteAndNotApplicable() {
        assertEquals("not fixable in the Java server: cmux", interop(NOTED, true, "bug", "bug").text());
        Verdicts.Verdict na = Verdicts.interop(GATING, "jetty121-server", false, true, "bug", "bug", null);
        assertEquals(new Verdicts.Verdict(Verdicts.NOT_APPLICABLE, false), na);
    }

    @Test
    void noRoute() {
        assertTrue(Verdicts.noRoute("HEADERS(:status 404)"));
        assertTrue(Verdicts.noRoute("UNIMPLEMENTED \"Received HTTP status code 404\""));
        assertTrue(Verdicts.noRoute("h2load 5 succeeded, 0 failed, 2xx=0 4xx=5 5xx=0"));
        assertFalse(Verdicts.noRoute("HTTP 200 (2), 6 body bytes"));
    }

    static Verdicts.Verdict matrix(boolean claimed, boolean bugWithout, boolean bugWith, String agentLine) {
        return Verdicts.matrix("end-stream", "netty-server", claimed, false, bugWithout, null, bugWith, null,
                agentLine);
    }

    @Test
    void matrixVerdicts() {
        assertEquals(new Verdicts.Verdict("**fixed**", false), matrix(true, true, false, "active for Netty"));
        assertEquals(new Verdicts.Verdict("not needed", false), matrix(true, false, false, "active for Netty"));
        assertEquals(new Verdicts.Verdict("**WORSE with the agent**", true), matrix(false, false, true, ""));
        assertEquals(new Verdicts.Verdict("**NOT FIXED (regression)**", true), matrix(true, true, true,
                "active for Netty"));
        assertEquals(new Verdicts.Verdict("skipped: Netty 4.0 (no fit)", true), matrix(true, true, true,
                "skipped for Netty 4.0 (no fit)"));
        assertEquals(new Verdicts.Verdict("skipped: Netty 4.0 (no fit)", false), matrix(false, true, true,
                "skipped for Netty 4.0 (no fit)"));
        assertEquals(new Verdicts.Verdict("not fixed: test-apps/catalog.txt does not claim `end-stream` for "
                + "netty-server", false), matrix(false, true, true, "active for Netty"));
        assertEquals(new Verdicts.Verdict("inconclusive: no grpc-status (with agent)", false),
                Verdicts.matrix("end-stream", "grpc-server", false, false, false, null, false, "no grpc-status", ""));
        assertEquals(new Verdicts.Verdict(Verdicts.NOT_APPLICABLE, false),
                Verdicts.matrix("early-settings", "jetty94-server", false, true, true, null, true, null, ""));
    }
}
