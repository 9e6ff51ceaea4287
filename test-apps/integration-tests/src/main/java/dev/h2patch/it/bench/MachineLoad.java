package dev.h2patch.it.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How busy the machine is with work that is not the benchmark's own: the CPU the whole machine used over a window
 * ({@code /proc/stat}) minus what the benchmark's processes used (the server under test, {@code /proc/PID/stat}; this
 * driver and the clients it ran and reaped, {@code /proc/self/stat} with its children's times), in cores.
 *
 * <p>Why not the load average: it is a one-minute decaying mean that the benchmark's own runs push up, so it can
 * neither tell a quiet machine from one that just ran a measurement, nor notice a build that starts during a 6 s run.
 * The foreign CPU of the very window measured can. A run whose window had more than {@link #maxForeignCores()} is
 * not used for a verdict (issue 20).
 */
public final class MachineLoad {

    /** Default: a tenth of a core used by others during a measured window discards the run. */
    static final double DEFAULT_MAX_FOREIGN_CORES = 0.10;

    private MachineLoad() {}

    /** One reading: all CPUs' busy and total ticks, and the ticks of the benchmark's own processes. */
    public record Sample(long busy, long total, long own) {}

    /** The threshold in cores: BENCH_MAX_FOREIGN_CPU, else {@link #DEFAULT_MAX_FOREIGN_CORES}. */
    public static double maxForeignCores() {
        String v = System.getenv("BENCH_MAX_FOREIGN_CPU");
        return v == null || v.isBlank() ? DEFAULT_MAX_FOREIGN_CORES : Double.parseDouble(v.trim());
    }

    /**
     * {busy, total} ticks of the aggregate {@code cpu} line of {@code /proc/stat}: busy = user + nice + system + irq +
     * softirq + steal; total adds idle and iowait. Guest time is already inside user and nice (proc(5)).
     */
    public static long[] systemTicks(String procStat) {
        for (String line : procStat.split("\n")) {
            if (line.startsWith("cpu ")) {
                String[] f = line.trim().split("\\s+");
                long user = field(f, 1), nice = field(f, 2), system = field(f, 3), idle = field(f, 4);
                long iowait = field(f, 5), irq = field(f, 6), softirq = field(f, 7), steal = field(f, 8);
                long busy = user + nice + system + irq + softirq + steal;
                return new long[] {busy, busy + idle + iowait};
            }
        }
        throw new IllegalArgumentException("no aggregate cpu line in /proc/stat");
    }

    private static long field(String[] f, int i) {
        return i < f.length ? Long.parseLong(f[i]) : 0;
    }

    /**
     * utime + stime + cutime + cstime of a {@code /proc/PID/stat} line: a process's CPU and that of the children it
     * has waited for (the clients this driver ran and reaped).
     */
    public static long ticksWithChildren(String stat) {
        String[] f = ToolOutput.statFieldsAfterName(stat);
        return ToolOutput.cpuTicks(stat) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
    }

    /**
     * Cores used by processes other than the benchmark's between two samples: the machine's busy share of the window
     * times {@code cpus}, less the benchmark's own ticks over the same window; never below 0 (the counters are read
     * a few microseconds apart). NaN when no time passed.
     */
    public static double foreignCores(Sample before, Sample after, int cpus) {
        long total = after.total() - before.total();
        if (total <= 0) {
            return Double.NaN;
        }
        long foreign = (after.busy() - before.busy()) - (after.own() - before.own());
        return Math.max(0, (double) foreign * cpus / total);
    }

    /** The machine now, with the ticks of {@code serverPids} (-1: no server) counted as the benchmark's own. */
    public static Sample sample(long... serverPids) throws IOException {
        long[] system = systemTicks(Files.readString(Path.of("/proc/stat")));
        long own = ticksWithChildren(Files.readString(Path.of("/proc/self/stat")));
        for (long pid : serverPids) {
            if (pid <= 0) {
                continue;
            }
            try {
                own += ToolOutput.cpuTicks(Files.readString(Path.of("/proc/" + pid + "/stat")));
            } catch (IOException e) {
                // the server has exited: its ticks are no longer anyone's to subtract
            }
        }
        return new Sample(system[0], system[1], own);
    }

    /** Two decimals, as the TSVs carry it. */
    public static String format(double cores) {
        return Double.isNaN(cores) ? "NA" : String.format(Locale.ROOT, "%.2f", cores);
    }
}
