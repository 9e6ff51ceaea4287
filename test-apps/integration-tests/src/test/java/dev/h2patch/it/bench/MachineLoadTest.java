package dev.h2patch.it.bench;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The busy-machine arithmetic of issue 20: what other processes used during a measured window, in cores. */
class MachineLoadTest {

    @Test
    void systemTicksCountBusyAndTotalFromTheAggregateLine() {
        String stat = "cpu  100 5 50 1000 20 3 2 10 0 0\ncpu0 50 2 25 500 10 1 1 5 0 0\nintr 1 2 3\n";
        // busy = user 100 + nice 5 + system 50 + irq 3 + softirq 2 + steal 10; total adds idle 1000 and iowait 20
        assertArrayEquals(new long[] {170, 1190}, MachineLoad.systemTicks(stat));
        assertThrows(IllegalArgumentException.class, () -> MachineLoad.systemTicks("intr 1 2 3\n"));
    }

    @Test
    void ownTicksIncludeReapedChildren() {
        // comm with a space and a parenthesis; utime 7, stime 3, cutime 20, cstime 5
        String stat = "42 (java (x) y) S 1 42 42 0 -1 4194560 100 0 0 0 7 3 20 5 20 0 30 0 1 2 3";
        assertEquals(35, MachineLoad.ticksWithChildren(stat));
    }

    @Test
    void foreignCoresAreTheMachinesBusyShareLessTheBenchmarksOwn() {
        // 2 CPUs, 1 s at 100 Hz = 200 ticks; busy rose by 150, of which the benchmark's processes used 100
        MachineLoad.Sample before = new MachineLoad.Sample(1000, 10000, 500);
        MachineLoad.Sample after = new MachineLoad.Sample(1150, 10200, 600);
        assertEquals(0.5, MachineLoad.foreignCores(before, after, 2), 1e-9);
        // all of it the benchmark's own: a quiet machine
        assertEquals(0.0, MachineLoad.foreignCores(before, new MachineLoad.Sample(1100, 10200, 600), 2), 1e-9);
        // counters read microseconds apart can make own exceed busy by a tick: never negative
        assertEquals(0.0, MachineLoad.foreignCores(before, new MachineLoad.Sample(1099, 10200, 600), 2), 1e-9);
        assertTrue(Double.isNaN(MachineLoad.foreignCores(before, before, 2)));
        assertEquals("0.50", MachineLoad.format(0.5));
        assertEquals("NA", MachineLoad.format(Double.NaN));
    }

    @Test
    void aRealSampleOfThisMachineReadsProc() throws Exception {
        MachineLoad.Sample s = MachineLoad.sample(ProcessHandle.current().pid());
        assertTrue(s.total() > 0 && s.busy() <= s.total() && s.own() > 0, s.toString());
    }
}
