package dev.h2patch.it.bench;

import java.util.List;

/** The targets of issues 9 and 20 and how a measured spread is judged against one. */
public final class Targets {
    private Targets() {}

    public static final double THROUGHPUT_MIN = 0.99;
    public static final double P99_MAX = 1.02;
    /** Server CPU time per request, with ÷ without, on a path that needs no change (issue 20). */
    public static final double CPU_PER_REQUEST_MAX = 1.01;
    /** Added time from JVM start to the first served response (issue 20; was 300 ms in issue 9). */
    public static final double STARTUP_MS_MAX = 100;
    /** Added time to the first response on the first connection after start (issue 20). */
    public static final double FIRST_CONNECTION_MS_MAX = 20;
    public static final double ATTACH_MS_MAX = 1000;
    public static final double PAUSE_MS_MAX = 50;
    /** "Zero bytes": JMH's B/op is an average with a little noise. */
    public static final double ALLOC_B_MAX = 0.5;
    public static final double MEMORY_MB_MAX = 16;

    /**
     * The verdict of issue 20 on the kept runs {@code xs} (ratios or differences, one per pair): {@code met} when
     * every run meets the target, {@code **missed**} when none does, and {@code not resolved} when the runs fall on
     * both sides of it — the machine's noise is then larger than the distance to the target, and neither word would
     * be honest. {@code atMost}: the target is an upper bound (else a lower bound).
     */
    public static String judge(List<Double> xs, double target, boolean atMost) {
        double lo = Stats.min(xs);
        double hi = Stats.max(xs);
        if (Double.isNaN(lo)) {
            return "not measured";
        }
        boolean allMeet = atMost ? hi <= target : lo >= target;
        boolean noneMeets = atMost ? lo > target : hi < target;
        if (allMeet) {
            return "met";
        }
        if (noneMeets) {
            return "**missed**";
        }
        return "not resolved: the runs fall on both sides of the target";
    }

    /**
     * {@link #judge(List, double, boolean)} for ratios that have control pairs: {@code control} holds B÷A of pairs in
     * which neither side ran the agent, what the instrument reads when nothing differs. A reading is the true ratio
     * times such a factor, so "met" and "missed" stand only when the median ratio, divided by the least favourable
     * control ratio (or 1, whichever is less favourable), still meets (misses) the target; otherwise the verdict is
     * "not resolved". Control pairs can only weaken a verdict, never strengthen it. No control: the plain verdict.
     */
    public static String judge(List<Double> xs, List<Double> control, double target, boolean atMost) {
        String verdict = judge(xs, target, atMost);
        double lo = Stats.min(control);
        double hi = Stats.max(control);
        if (Double.isNaN(lo) || !(verdict.equals("met") || verdict.equals("**missed**"))) {
            return verdict;
        }
        double median = Stats.median(xs);
        boolean met = verdict.equals("met");
        // met (upper bound): the true ratio could be as high as median / lo; missed: it could be as low as median / hi.
        // The band always holds 1: control pairs that happen to read all on one side must not strengthen a verdict.
        double worst = atMost == met ? median / Math.min(lo, 1) : median / Math.max(hi, 1);
        if (judge(List.of(worst), target, atMost).equals(verdict)) {
            return verdict;
        }
        return "not resolved: the median is within the control pairs' spread of the target (both sides without the "
                + "agent: " + Stats.f(lo, 3) + "–" + Stats.f(hi, 3) + ")";
    }

    /** {@code verdict}, unless nothing was measured because every run was discarded for a busy machine. */
    public static String unlessAllDiscarded(String verdict, int discarded) {
        return verdict.equals("not measured") && discarded > 0
                ? "not resolved: every run was discarded (other processes kept the machine busy)" : verdict;
    }

    /** The JMH allocation verdict: B/op added by the agent, against the forks' own errors. */
    public static String allocation(double added, double errorWithout, double errorWith) {
        double noise = (Double.isNaN(errorWithout) ? 0 : errorWithout) + (Double.isNaN(errorWith) ? 0 : errorWith);
        if (Double.isNaN(added)) {
            return "not measured";
        }
        if (Math.abs(added) <= ALLOC_B_MAX) {
            return "met";
        }
        if (added < 0) {
            return "met: less with the agent than without, i.e. Netty's own allocation varies between forks (B/op "
                    + "errors ± " + Stats.f(errorWithout, 1) + " / ± " + Stats.f(errorWith, 1) + "); the agent adds none";
        }
        if (added <= noise) {
            return "not shown: the difference is within the B/op errors (± " + Stats.f(errorWithout, 1) + " / ± "
                    + Stats.f(errorWith, 1) + ")";
        }
        return "**missed**";
    }

    /**
     * The attach pause verdict: the longest gap and the slowest request of the attach window, and the baseline's;
     * {@code noOpPause} is the longer of the two for a no-op agent's attach on the same app (NaN: not measured).
     */
    public static String pause(double gap, double latency, double baselineGap, double baselineLatency,
            double noOpPause) {
        if (gap <= PAUSE_MS_MAX && latency <= PAUSE_MS_MAX) {
            return "met";
        }
        if (baselineGap > PAUSE_MS_MAX || baselineLatency > PAUSE_MS_MAX) {
            return "**missed** (the baseline already shows pauses this long: the machine's load)";
        }
        if (noOpPause > PAUSE_MS_MAX) {
            return "**missed**, as by any agent on this JVM: a no-op retransformation of one class already pauses "
                    + Stats.f(noOpPause, 1) + " ms (the first redefinition deoptimizes all compiled code before JDK 23)";
        }
        return "**missed**";
    }
}
