package dev.h2patch.it.interop;

import java.util.stream.Stream;

/**
 * The verdicts of the interop suite and of the version matrix: what a result without and with the agent means, and
 * which results are regressions (a claimed fix that did not work, or a result worse with the agent). Pure functions of
 * the results and the claims, unit-tested in VerdictsTest; the claims come from {@link Claims}.
 */
final class Verdicts {
    private Verdicts() {}

    /** A verdict: the report's text, and whether it fails the run. */
    record Verdict(String text, boolean regression) {}

    static final String NO_ROUTE = "the app has no route for this scenario (404 / UNIMPLEMENTED)";

    static final String NOT_APPLICABLE = "not applicable (HTTP/1.1-first connector)";

    /** The app answered the scenario's request with "no such route": the scenario did not happen. */
    static boolean noRoute(String s) {
        return s.contains(":status 404") || s.contains("HTTP 404") || s.contains("4xx=5")
                || s.contains("grpc-status 12") || s.contains("UNIMPLEMENTED \"unknown method")
                || s.contains("UNIMPLEMENTED \"Received HTTP status code 404");
    }

    /**
     * The interop suite's verdict for one peer on one app.
     *
     * @param claimed       the fix is claimed for this app ({@link Claims#claimed})
     * @param notApplicable the scenario cannot happen on this app's connector ({@link Claims#notApplicable})
     * @param skipped       the agent's "skipped for ..." reason for this fix in the with-agent run, or null
     */
    static Verdict interop(Scenarios.Peer p, String app, boolean claimed, boolean notApplicable, String without,
                           String with, String skipped) {
        String unavailable = Stream.of(without, with).filter(s -> s.startsWith("peer unavailable")
                || s.startsWith("not run")).findFirst().orElse(null);
        boolean okWithout = p.healthy().test(without);
        boolean okWith = p.healthy().test(with);
        boolean bugWithout = p.bug().test(without);
        boolean bugWith = p.bug().test(with);
        String skip = skipped != null ? "; agent: " + skipped : "";
        if (unavailable != null) {
            return new Verdict(unavailable.startsWith("not run") ? "inconclusive: " + unavailable : unavailable,
                    false);
        }
        if (okWithout && okWith) {
            return new Verdict("ok without and with", false);
        }
        if (okWithout) {
            return new Verdict("**WORSE with the agent**", true);
        }
        if (okWith) {
            return new Verdict(bugWithout ? "**fixed**" : "inconclusive: " + (noRoute(without) ? NO_ROUTE
                    : "better with the agent, but without it the peer did not get as far as the bug's symptom"
                    + (without.contains("haproxy PR--") || without.contains("deadline")
                    ? " (no response at all: the app did not speak first — the early-settings bug)" : "")), false);
        }
        if (p.note() != null && bugWithout && bugWith) {
            return new Verdict(p.note(), false);
        }
        if (notApplicable) {
            return new Verdict(NOT_APPLICABLE, false);
        }
        if (!bugWithout || !bugWith) {
            return new Verdict("inconclusive: " + (noRoute(without) || noRoute(with) ? NO_ROUTE
                    : "the peer saw " + (bugWithout || bugWith ? "the bug's symptom on one run only"
                    : "neither the bug's symptom nor the healthy result")
                    + (without.contains("haproxy PR--") ? " (without the agent HAProxy got no response: the app "
                    + "did not speak first — the early-settings bug)" : "")) + skip, false);
        }
        if (p.gating() && claimed) {
            return new Verdict("**NOT FIXED (regression)**" + skip, true);
        }
        return new Verdict((claimed ? "not fixed for this peer (the claim is checked by the gating peers)"
                : "not fixed: test-apps/catalog.txt does not claim `" + p.fix() + "` for " + app) + skip, false);
    }

    /** Runs of each side, the first included, before a doubtful result counts: {@link #repeated}. */
    static final int REPEAT_RUNS = 3;

    /**
     * A doubtful first result ran again, {@code runs} times on each side in all (a fresh app JVM per side and run):
     * a result worse with the agent (healthy without it, not with it), or a fix seen on an app that does not claim it.
     * The first stands only if the peer was healthy in every run without the agent and in none with it; the second
     * only if it was healthy in none without and in every one with. Otherwise the result depends on timing, not on
     * the agent, and the verdict says so: a flake must not fail the suite, nor be reported as the agent's doing or as
     * a fix. Null when the first verdict stands.
     */
    static Verdict repeated(boolean worse, int runs, int healthyWithout, int healthyWith) {
        if (worse ? healthyWithout == runs && healthyWith == 0 : healthyWithout == 0 && healthyWith == runs) {
            return null;
        }
        return new Verdict("inconclusive: the result varies between runs: healthy in " + healthyWithout + " of " + runs
                + " runs without the agent, " + healthyWith + " of " + runs + " with it (the cells show the first)",
                false);
    }

    /**
     * The version matrix's verdict for one fix on one library version: whether the scenario saw the bug without and
     * with the agent, or could not be exercised ({@code inconclusive*} non-null, the reason).
     *
     * @param agentLine the agent's own log lines for the fix in the with-agent run ("" when none)
     */
    static Verdict matrix(String fix, String library, boolean claimed, boolean notApplicable, boolean bugWithout,
                          String inconclusiveWithout, boolean bugWith, String inconclusiveWith, String agentLine) {
        boolean onlySkipped = !agentLine.isEmpty() && !agentLine.contains("active for");
        String skipReason = onlySkipped ? "; agent: " + agentLine : "";
        if (notApplicable) {
            return new Verdict(NOT_APPLICABLE, false);
        }
        if (inconclusiveWithout != null || inconclusiveWith != null) {
            return new Verdict("inconclusive: " + (inconclusiveWithout != null
                    ? inconclusiveWithout + " (without agent)" : inconclusiveWith + " (with agent)"), false);
        }
        if (!bugWithout) {
            return new Verdict(bugWith ? "**WORSE with the agent**" : "not needed", bugWith);
        }
        if (!bugWith) {
            return new Verdict("**fixed**", false);
        }
        if (onlySkipped) {
            return new Verdict("skipped: " + agentLine.replaceFirst("^skipped for ", ""), claimed);
        }
        return new Verdict(claimed ? "**NOT FIXED (regression)**"
                : "not fixed: test-apps/catalog.txt does not claim `" + fix + "` for " + library + skipReason, claimed);
    }
}
