package dev.h2patch.it.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The verdicts against the targets of issue 9, as docs/performance.md words them. */
class TargetsTest {

    @Test
    void issue20JudgesEveryKeptRunAndCallsASpreadAcrossTheTargetNotResolved() {
        assertEquals("met", Targets.judge(List.of(0.995, 1.0, 1.02), 0.99, false));
        assertEquals("**missed**", Targets.judge(List.of(0.93, 0.95, 0.97), 0.99, false));
        assertEquals("not resolved: the runs fall on both sides of the target",
                Targets.judge(List.of(0.93, 0.99, 1.05), 0.995, false));
        assertEquals("met", Targets.judge(List.of(40.0, 80.0, 100.0), 100, true));
        assertEquals("**missed**", Targets.judge(List.of(120.0, 300.0), 100, true));
        assertEquals("not resolved: the runs fall on both sides of the target",
                Targets.judge(List.of(60.0, 130.0), 100, true));
        assertEquals("not measured", Targets.judge(List.of(), 100, true));
        assertEquals("met", Targets.judge(List.of(Double.NaN, 1.0), 1.01, true));
        assertEquals("not resolved: every run was discarded (other processes kept the machine busy)",
                Targets.unlessAllDiscarded(Targets.judge(List.of(), 1.01, true), 3));
        assertEquals("not measured", Targets.unlessAllDiscarded("not measured", 0));
        assertEquals("met", Targets.unlessAllDiscarded("met", 2));
    }

    @Test
    void aVerdictWithControlPairsStandsOnlyBeyondTheirSpread() {
        String within = "not resolved: the median is within the control pairs' spread of the target (both sides "
                + "without the agent: 0.950–1.050)";
        List<Double> control = List.of(0.95, 1.0, 1.05);
        // CPU per request ≤ 1.01: 1.16 / 1.05 = 1.105 is still above, 1.03 / 1.05 = 0.981 is not
        assertEquals("**missed**", Targets.judge(List.of(1.02, 1.16, 1.5), control, 1.01, true));
        assertEquals(within, Targets.judge(List.of(1.02, 1.03, 1.04), control, 1.01, true));
        // met only when even median / 0.95 stays at or below 1.01
        assertEquals("met", Targets.judge(List.of(0.90, 0.95, 0.96), control, 1.01, true));
        assertEquals(within, Targets.judge(List.of(0.97, 0.99, 1.0), control, 1.01, true));
        // throughput ≥ 0.99: met needs median / 1.05 ≥ 0.99, missed median / 0.95 < 0.99
        assertEquals("met", Targets.judge(List.of(1.04, 1.05, 1.1), control, 0.99, false));
        assertEquals(within, Targets.judge(List.of(0.995, 1.0, 1.01), control, 0.99, false));
        assertEquals("**missed**", Targets.judge(List.of(0.8, 0.9, 0.92), control, 0.99, false));
        assertEquals(within, Targets.judge(List.of(0.93, 0.95, 0.98), control, 0.99, false));
        // control pairs that all read below 1 neither strengthen nor weaken a missed ratio (1.012 / 1 > 1.01); ones
        // that read up to 1.02 do (1.012 / 1.02 < 1.01)
        assertEquals("**missed**", Targets.judge(List.of(1.011, 1.012, 1.013), List.of(0.9, 0.95), 1.01, true));
        assertEquals("not resolved: the median is within the control pairs' spread of the target (both sides "
                + "without the agent: 1.005–1.020)", Targets.judge(List.of(1.011, 1.012, 1.013), List.of(1.005, 1.02), 1.01, true));
        // a spread across the target stays so; no control: the plain verdict
        assertEquals("not resolved: the runs fall on both sides of the target",
                Targets.judge(List.of(0.9, 1.2), control, 1.01, true));
        assertEquals("**missed**", Targets.judge(List.of(1.02, 1.03), List.of(), 1.01, true));
        assertEquals("**missed**", Targets.judge(List.of(1.02, 1.03), List.of(Double.NaN), 1.01, true));
    }

    @Test
    void allocation() {
        assertEquals("met", Targets.allocation(0.01, 0.2, 0.3));
        assertEquals("met: less with the agent than without, i.e. Netty's own allocation varies between forks (B/op "
                + "errors ± 0.8 / ± 19.1); the agent adds none", Targets.allocation(-35.82, 0.8, 19.1));
        assertEquals("not shown: the difference is within the B/op errors (± 1.0 / ± 2.0)",
                Targets.allocation(2.5, 1.0, 2.0));
        assertEquals("**missed**", Targets.allocation(24, 0.1, 0.1));
        assertEquals("not measured", Targets.allocation(Double.NaN, 0.1, 0.1));
    }

    @Test
    void pauses() {
        assertEquals("met", Targets.pause(20.6, 33.3, 12.1, 4.8, 129.4));
        assertEquals("**missed**", Targets.pause(31.3, 139.3, 14.1, 5.0, Double.NaN));
        assertEquals("**missed**", Targets.pause(31.3, 139.3, 14.1, 5.0, 21.3));
        assertEquals("**missed** (the baseline already shows pauses this long: the machine's load)",
                Targets.pause(60, 70, 55, 5, 129.4));
        assertEquals("**missed**, as by any agent on this JVM: a no-op retransformation of one class already pauses "
                + "129.4 ms (the first redefinition deoptimizes all compiled code before JDK 23)",
                Targets.pause(31.3, 117.3, 14.1, 5.0, 129.4));
    }
}
