package dev.h2patch.it.bench;

import dev.h2patch.it.Catalog;
import dev.h2patch.it.Repo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static dev.h2patch.it.bench.Stats.f;
import static dev.h2patch.it.bench.Stats.max;
import static dev.h2patch.it.bench.Stats.median;
import static dev.h2patch.it.bench.Stats.min;
import static dev.h2patch.it.bench.Stats.spread;
import static dev.h2patch.it.bench.Stats.spreadBold;
import static dev.h2patch.it.bench.Targets.ATTACH_MS_MAX;
import static dev.h2patch.it.bench.Targets.CPU_PER_REQUEST_MAX;
import static dev.h2patch.it.bench.Targets.FIRST_CONNECTION_MS_MAX;
import static dev.h2patch.it.bench.Targets.MEMORY_MB_MAX;
import static dev.h2patch.it.bench.Targets.P99_MAX;
import static dev.h2patch.it.bench.Targets.PAUSE_MS_MAX;
import static dev.h2patch.it.bench.Targets.STARTUP_MS_MAX;
import static dev.h2patch.it.bench.Targets.THROUGHPUT_MIN;
import java.util.stream.Collectors;

/**
 * Writes docs/performance.md from the raw results of {@link Benchmark} (test-apps/benchmark/run-benchmark.sh), or
 * alone: {@code java -cp ... dev.h2patch.it.bench.Report RESULTS_DIR OUTPUT.md}. Every figure in the output comes from
 * the files in RESULTS_DIR; nothing is typed by hand. The arithmetic is {@link Stats}, the targets {@link Targets}.
 */
public final class Report {

    static final String COMMAND = "bash test-apps/benchmark/run-benchmark.sh";

    /** The agent jar as the docs show it: its path from the repo root. */
    static String agentJar() {
        return Repo.root().relativize(Repo.agentJar()).toString();
    }

    /** The attach benchmark's reference row (older attach.tsv files have no attacher column: all h2patch). */
    static boolean isNoOpAttach(Row r) {
        return r.s("attacher").equals("no-op");
    }

    record Row(Map<String, String> f) {
        String s(String k) { return f.getOrDefault(k, "NA"); }
        /** Whether the run counts: not discarded for a busy machine (results from before issue 20 all count). */
        boolean kept() { return !"0".equals(f.get("kept")); }
        double d(String k) {
            try { return Double.parseDouble(s(k)); } catch (NumberFormatException e) { return Double.NaN; }
        }
    }

    static List<Row> tsv(Path file) throws IOException {
        List<Row> rows = new ArrayList<>();
        if (!Files.exists(file)) return rows;
        List<String> lines = Files.readAllLines(file);
        if (lines.isEmpty()) return rows;
        String[] head = lines.get(0).split("\t");
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) continue;
            String[] v = line.split("\t", -1);
            Map<String, String> m = new LinkedHashMap<>();
            for (int i = 0; i < head.length && i < v.length; i++) m.put(head[i], v[i].trim());
            rows.add(new Row(m));
        }
        return rows;
    }

    static Map<String, String> keyValues(Path file) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        if (!Files.exists(file)) return m;
        for (String line : Files.readAllLines(file)) {
            int tab = line.indexOf('\t');
            if (tab > 0) m.put(line.substring(0, tab), line.substring(tab + 1).trim());
        }
        return m;
    }

    /** JMH CSV: benchmark name (short) -> {score, error} for ns/op and B/op. */
    static Map<String, double[]> jmh(Path file) throws IOException {
        Map<String, double[]> m = new LinkedHashMap<>();
        if (!Files.exists(file)) return m;
        for (String line : Files.readAllLines(file)) {
            if (line.startsWith("\"Benchmark\"")) continue;
            List<String> c = csv(line);
            if (c.size() < 7) continue;
            String full = c.get(0);
            int colon = full.indexOf(':');
            String base = colon < 0 ? full : full.substring(0, colon);
            String name = base.substring(base.lastIndexOf('.') + 1);
            String secondary = colon < 0 ? "" : full.substring(colon + 1);
            String unit = c.get(6);
            double score = Double.parseDouble(c.get(4));
            double err = c.get(5).equals("NaN") ? Double.NaN : Double.parseDouble(c.get(5));
            double[] v = m.computeIfAbsent(name, k -> new double[] {NaN, NaN, NaN, NaN});
            if (secondary.isEmpty() && unit.equals("ns/op")) { v[0] = score; v[1] = err; }
            if (secondary.equals("gc.alloc.rate.norm")) { v[2] = score; v[3] = err; }
        }
        return m;
    }

    static final double NaN = Double.NaN;

    /**
     * Per benchmark (short name), the mean ns/op of each fork's measured iterations, from JMH's console output
     * ({@code raw/jmh-<side>.txt}). JMH's ± error pools the iterations of all forks, but on this codec a fork's JIT
     * outcome can differ from the next one's by a quarter: a difference between two sides is only told apart from
     * that when the sides' fork means do not overlap. An iteration line a log line has cut into is left out.
     */
    static Map<String, List<Double>> jmhForks(Path file) throws IOException {
        Map<String, List<Double>> forks = new LinkedHashMap<>();
        if (!Files.exists(file)) return forks;
        String benchmark = null;
        List<Double> iterations = new ArrayList<>();
        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        lines.add("# Benchmark: "); // ends the last fork, whether or not JMH wrote "# Run complete"
        for (String line : lines) {
            if (line.startsWith("# Benchmark: ") || line.startsWith("# Fork: ") || line.startsWith("# Run complete")) {
                if (benchmark != null && !iterations.isEmpty()) {
                    double mean = iterations.stream().mapToDouble(Double::doubleValue).average().orElseThrow();
                    forks.computeIfAbsent(benchmark, k -> new ArrayList<>()).add(mean);
                }
                iterations.clear();
            }
            if (line.startsWith("# Benchmark: ")) {
                String full = line.substring("# Benchmark: ".length()).trim();
                benchmark = full.substring(full.lastIndexOf('.') + 1);
            }
            Matcher m = ITERATION.matcher(line);
            if (benchmark != null && m.matches()) {
                iterations.add(Double.parseDouble(m.group(1)));
            }
        }
        return forks;
    }

    private static final Pattern ITERATION = Pattern.compile("Iteration\\s+\\d+: ([0-9.]+) ns/op\\s*");

    /**
     * What the fork means say about the ns/op a side adds: the difference of their medians, and whether the two
     * sides' fork means overlap (then the difference is within what one fork differs from the next).
     */
    static String forkNote(List<Double> without, List<Double> with) {
        if (without == null || with == null || without.isEmpty() || with.isEmpty()) return null;
        boolean overlap = min(with) <= max(without) && min(without) <= max(with);
        return f(median(with) - median(without), 1) + " ns/op added (medians of " + without.size() + " / "
                + with.size() + " forks; fork means " + f(min(without), 1) + "–" + f(max(without), 1) + " without, "
                + f(min(with), 1) + "–" + f(max(with), 1) + " with: "
                + (overlap ? "they overlap, so this is within the fork-to-fork spread" : "apart") + ")";
    }

    static List<String> csv(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean q = false;
        for (char ch : line.toCharArray()) {
            if (ch == '"') q = !q;
            else if (ch == ',' && !q) { out.add(cur.toString()); cur.setLength(0); }
            else cur.append(ch);
        }
        out.add(cur.toString());
        return out;
    }

    static String minutes(Map<String, String> env) {
        try {
            long s = Long.parseLong(env.get("end_epoch")) - Long.parseLong(env.get("start_epoch"));
            return String.format(Locale.ROOT, "%.1f minutes", s / 60.0);
        } catch (RuntimeException e) {
            return "?";
        }
    }

    /**
     * {@code Netty 4.1 (netty-server)}: the app's library line from the catalog. grpc-java's catalog line is the Netty
     * line it runs on, not a grpc-java version, so a grpc-java app is named by its library alone.
     */
    /** The rows of inlining.tsv, one per app and advised method, flagged where only the agent's side was too big for C2. */
    static String inliningTable(List<Row> rows) {
        StringBuilder t = new StringBuilder("| app | method | bytes without → with | decisions without | decisions with |\n"
                + "|---|---|---|---|---|\n");
        for (Row r : rows) {
            boolean lost = r.s("decisions_with").contains("hot method too big")
                    && !r.s("decisions_without").contains("hot method too big");
            t.append("| ").append(appName(r.s("app"))).append(" | `").append(r.s("method")).append("` | ")
                    .append(r.s("bytes_without")).append(" → ").append(r.s("bytes_with")).append(lost ? " **(too big for C2 only with the agent)**" : "")
                    .append(" | ").append(r.s("decisions_without")).append(" | ").append(r.s("decisions_with")).append(" |\n");
        }
        return t.toString();
    }

    static String appName(String app) {
        return Catalog.apps().stream().filter(a -> a.name().equals(app)).findFirst()
                .map(a -> (a.library().equals("grpc-java") ? a.library() : a.libraryLine()) + " (" + app + ")")
                .orElse(app);
    }

    /** B÷A of one app's and workload's kept pairs, one list per figure, and their table. */
    record PairRatios(int pairsRun, List<Double> rps, List<Double> p50, List<Double> p99, List<Double> cpu,
                      List<Double> appCpu, String table) {
        int kept() { return rps.size(); }
    }

    /**
     * The pairs of {@code byKey} (app|workload|pair -> side -> kept row) under {@code key} (app|workload): their
     * ratios and a table with a row per pair; {@code appThreads}: the rows have the application threads' CPU.
     */
    static PairRatios pairRatios(Map<String, Map<String, Row>> byKey, String key, boolean appThreads) {
        List<Double> rr = new ArrayList<>(), r50 = new ArrayList<>(), r99 = new ArrayList<>(), rc = new ArrayList<>(),
                ra = new ArrayList<>();
        int pairsRun = 0;
        StringBuilder t = new StringBuilder("| pair | req/s A | req/s B | B÷A | p50 A ms | p50 B ms | B÷A | p99 A ms | p99 B ms | B÷A | CPU µs/req A | CPU µs/req B | B÷A |"
                + (appThreads ? " app threads µs/req A | app threads µs/req B | B÷A |" : "") + " failed A/B | load1 A / B |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|---|" + (appThreads ? "---|---|---|" : "") + "---|---|\n");
        for (Map.Entry<String, Map<String, Row>> e : byKey.entrySet()) {
            if (!e.getKey().startsWith(key + "|")) continue;
            pairsRun++;
            Row a = e.getValue().get("A"), b = e.getValue().get("B");
            if (a == null || b == null) continue;
            double q = b.d("req_s") / a.d("req_s"), q50 = b.d("p50_us") / a.d("p50_us"),
                    q99 = b.d("p99_us") / a.d("p99_us"), qc = b.d("cpu_us_per_req") / a.d("cpu_us_per_req"),
                    qa = b.d("app_cpu_us_per_req") / a.d("app_cpu_us_per_req");
            rr.add(q); r50.add(q50); r99.add(q99); rc.add(qc); ra.add(qa);
            t.append("| ").append(a.s("pair"))
                    .append(" | ").append(f(a.d("req_s"), 0)).append(" | ").append(f(b.d("req_s"), 0)).append(" | ").append(f(q, 3))
                    .append(" | ").append(f(a.d("p50_us") / 1000, 2)).append(" | ").append(f(b.d("p50_us") / 1000, 2)).append(" | ").append(f(q50, 3))
                    .append(" | ").append(f(a.d("p99_us") / 1000, 2)).append(" | ").append(f(b.d("p99_us") / 1000, 2)).append(" | ").append(f(q99, 3))
                    .append(" | ").append(f(a.d("cpu_us_per_req"), 1)).append(" | ").append(f(b.d("cpu_us_per_req"), 1)).append(" | ").append(f(qc, 3));
            if (appThreads) {
                t.append(" | ").append(f(a.d("app_cpu_us_per_req"), 1)).append(" | ").append(f(b.d("app_cpu_us_per_req"), 1))
                        .append(" | ").append(f(qa, 3));
            }
            t.append(" | ").append(a.s("failed")).append("/").append(b.s("failed"))
                    .append(" | ").append(a.s("load1_before")).append(" / ").append(b.s("load1_before")).append(" |\n");
        }
        t.append("| **median (min–max)** | | | ").append(spreadBold(rr, 3)).append(" | | | ").append(spreadBold(r50, 3))
                .append(" | | | ").append(spreadBold(r99, 3)).append(" | | | ").append(spreadBold(rc, 3))
                .append(appThreads ? " | | | " + spreadBold(ra, 3) : "").append(" | | |\n");
        return new PairRatios(pairsRun, rr, r50, r99, rc, ra, t.toString());
    }

    /** {@code 4 of 5 pairs kept, 1 run(s) discarded and repeated}; {@code discarded} null: none. */
    static String keptText(PairRatios ratios, String what, Integer discarded) {
        return ratios.kept() + " of " + ratios.pairsRun() + " " + what + " kept"
                + (discarded != null ? ", " + discarded + " run(s) discarded and repeated" : "");
    }

    /** The control pairs' spread of one figure, for a summary row; empty without control pairs. */
    static String controlNote(PairRatios control, List<Double> ratios) {
        return control.kept() == 0 ? "" : "; both sides without the agent: " + spread(ratios, 3);
    }

    public static void main(String[] args) throws IOException {
        write(Path.of(args[0]), Path.of(args[1]));
    }

    /** Reads the raw results in {@code dir} and writes the report to {@code outFile}. */
    public static void write(Path dir, Path outFile) throws IOException {
        Map<String, String> env = keyValues(dir.resolve("env.tsv"));
        List<Row> pairs = tsv(dir.resolve("pairs.tsv"));
        List<Row> memory = tsv(dir.resolve("memory.tsv"));
        List<Row> startup = tsv(dir.resolve("startup.tsv"));
        List<Row> attach = tsv(dir.resolve("attach.tsv"));
        List<Row> profile = tsv(dir.resolve("startup-profile.tsv"));
        List<Row> inlining = tsv(dir.resolve("inlining.tsv"));
        Map<String, double[]> jmhWithout = jmh(dir.resolve("jmh-without.csv"));
        Map<String, double[]> jmhWith = jmh(dir.resolve("jmh-with.csv"));
        Map<String, List<Double>> jmhForksWithout = jmhForks(dir.resolve("raw/jmh-without.txt"));
        Map<String, List<Double>> jmhForksWith = jmhForks(dir.resolve("raw/jmh-with.txt"));
        Map<String, String> jmhLoad = new LinkedHashMap<>();
        if (Files.exists(dir.resolve("jmh-load.tsv"))) {
            for (String l : Files.readAllLines(dir.resolve("jmh-load.tsv"))) {
                String[] v = l.split("\t");
                if (v.length >= 3) jmhLoad.put(v[0], v[1] + " → " + v[2]);
            }
        }
        String jmhActive = Files.exists(dir.resolve("jmh-agent-active.txt"))
                ? Files.readString(dir.resolve("jmh-agent-active.txt")).trim() : "n/a";

        // Results written before the paired runs drove both sides at once have no such line.
        boolean pairsAtOnce = "1".equals(env.get("pairs_at_once"));
        StringBuilder md = new StringBuilder();
        List<String[]> summary = new ArrayList<>(); // target, scope, measured, verdict

        md.append("# Performance: what the agent costs\n\n");
        md.append("> Generated by `").append(COMMAND).append("` (dev.h2patch.it.bench.Report) from the raw results in\n")
                .append("> `test-apps/benchmark/target/results/`, on ").append(env.getOrDefault("date", "?"))
                .append(". Do not edit the figures by hand: run the command again.\n");
        if ("1".equals(env.get("quick"))) {
            md.append(">\n> **Quick (smoke) run**: 2 pairs and short runs. These figures only show that the benchmark works.\n");
        }
        md.append("\n");

        // ---------------------------------------------------------------- pairs: collect ratios
        Set<String> apps = new LinkedHashSet<>();
        Set<String> workloads = new LinkedHashSet<>();
        for (Row r : pairs) { apps.add(r.s("app")); workloads.add(r.s("workload")); }
        Map<String, Map<String, Row>> byKey = new LinkedHashMap<>(); // app|workload|pair -> side -> kept row
        Map<String, Map<String, Row>> controlByKey = new LinkedHashMap<>(); // the same for the A/A control pairs
        Map<String, Integer> discarded = new LinkedHashMap<>(); // app|workload -> runs discarded
        Map<String, Integer> controlDiscarded = new LinkedHashMap<>();
        for (Row r : pairs) {
            // Results written before the control pairs have no kind column: all of them are agent pairs.
            boolean control = r.s("kind").equals("control");
            Map<String, Row> sides = (control ? controlByKey : byKey).computeIfAbsent(
                    r.s("app") + "|" + r.s("workload") + "|" + r.s("pair"), k -> new LinkedHashMap<>());
            if (r.kept()) {
                sides.put(r.s("side"), r);
            } else {
                (control ? controlDiscarded : discarded).merge(r.s("app") + "|" + r.s("workload"), 1, Integer::sum);
            }
        }
        boolean appThreads = pairs.stream().anyMatch(r -> !r.s("app_cpu_us_per_req").equals("NA"));
        StringBuilder pairTables = new StringBuilder();
        StringBuilder controlTables = new StringBuilder();
        StringBuilder medianTable = new StringBuilder();
        medianTable.append("| app | workload | req/s with ÷ without | p50 latency ratio | p99 latency ratio | CPU per request ratio |")
                .append(appThreads ? " CPU per request ratio, application threads |" : "").append("\n")
                .append("|---|---|---|---|---|---|").append(appThreads ? "---|" : "").append("\n");
        for (String app : apps) {
            for (String wl : workloads) {
                String key = app + "|" + wl;
                PairRatios agent = pairRatios(byKey, key, appThreads);
                if (agent.pairsRun() == 0) continue;
                String kept = keptText(agent, "pairs", discarded.get(key));
                pairTables.append("\n**").append(appName(app)).append(", ").append(wl).append("**\n\n")
                        .append(agent.table()).append("\n").append(kept).append(".\n");
                PairRatios control = pairRatios(controlByKey, key, appThreads);
                if (control.pairsRun() > 0) {
                    String controlKept = keptText(control, "control pairs", controlDiscarded.get(key));
                    controlTables.append("\n**").append(appName(app)).append(", ").append(wl)
                            .append(", both sides without the agent**\n\n").append(control.table()).append("\n")
                            .append(controlKept).append(".\n");
                }
                medianTable.append("| ").append(appName(app)).append(" | ").append(wl).append(" | ").append(spread(agent.rps(), 3))
                        .append(" | ").append(spread(agent.p50(), 3)).append(" | ").append(spread(agent.p99(), 3)).append(" | ")
                        .append(spread(agent.cpu(), 3)).append(" |")
                        .append(appThreads ? " " + spread(agent.appCpu(), 3) + " |" : "").append("\n");
                if (control.pairsRun() > 0) {
                    medianTable.append("| ").append(appName(app)).append(" | ").append(wl).append(", control: both without")
                            .append(" | ").append(spread(control.rps(), 3)).append(" | ").append(spread(control.p50(), 3))
                            .append(" | ").append(spread(control.p99(), 3)).append(" | ").append(spread(control.cpu(), 3))
                            .append(" |").append(appThreads ? " " + spread(control.appCpu(), 3) + " |" : "").append("\n");
                }
                boolean needsFix = wl.equals("trailers-only") && !app.equals("grpc-server");
                int gone = discarded.getOrDefault(key, 0);
                String scope = appName(app) + ", " + wl + (needsFix ? " (the fixed path vs. the unfixed one)" : " (no fix needed)");
                summary.add(new String[] {"throughput ratio ≥ " + THROUGHPUT_MIN + (needsFix ? " (fixed path no slower)" : ""), scope,
                        spread(agent.rps(), 3) + "; " + kept + controlNote(control, control.rps()),
                        Targets.unlessAllDiscarded(Targets.judge(agent.rps(), control.rps(), THROUGHPUT_MIN, false), gone)});
                if (!needsFix) {
                    summary.add(new String[] {"CPU per request ratio ≤ " + CPU_PER_REQUEST_MAX, scope,
                            spread(agent.cpu(), 3) + "; " + kept + controlNote(control, control.cpu()),
                            Targets.unlessAllDiscarded(Targets.judge(agent.cpu(), control.cpu(), CPU_PER_REQUEST_MAX, true), gone)});
                    if (appThreads) {
                        summary.add(new String[] {"CPU per request ratio ≤ " + CPU_PER_REQUEST_MAX + ", application threads",
                                scope, spread(agent.appCpu(), 3) + "; " + kept + controlNote(control, control.appCpu()),
                                Targets.unlessAllDiscarded(Targets.judge(agent.appCpu(), control.appCpu(),
                                        CPU_PER_REQUEST_MAX, true), gone)});
                    }
                }
                summary.add(new String[] {"p99 latency ratio ≤ " + P99_MAX + (needsFix ? " (fixed path no slower)" : ""), scope,
                        spread(agent.p99(), 3) + "; " + kept + controlNote(control, control.p99()),
                        Targets.unlessAllDiscarded(Targets.judge(agent.p99(), control.p99(), P99_MAX, true), gone)});
            }
        }

        // ---------------------------------------------------------------- memory
        StringBuilder memTable = new StringBuilder();
        Map<String, List<Double>> memDiff = new LinkedHashMap<>(), rssDiff = new LinkedHashMap<>();
        Map<String, Map<String, Map<String, Row>>> mem = new LinkedHashMap<>();
        for (Row r : memory) {
            mem.computeIfAbsent(r.s("app"), k -> new LinkedHashMap<>())
                    .computeIfAbsent(r.s("pair"), k -> new LinkedHashMap<>()).put(r.s("side"), r);
        }
        StringBuilder memMedian = new StringBuilder();
        memMedian.append("| app | RSS B − A, MB | heap after full GC B − A, MB | metaspace B − A, MB | heap + metaspace B − A, MB |\n|---|---|---|---|---|\n");
        for (var e : mem.entrySet()) {
            String app = e.getKey();
            List<Double> dr = new ArrayList<>(), dh = new ArrayList<>(), dm = new ArrayList<>(), dt = new ArrayList<>();
            memTable.append("\n**").append(appName(app)).append("**\n\n")
                    .append("| pair | RSS A MB | RSS B MB | B − A | heap A MB | heap B MB | metaspace A MB | metaspace B MB | heap + metaspace B − A MB |\n")
                    .append("|---|---|---|---|---|---|---|---|---|\n");
            for (var p : e.getValue().entrySet()) {
                Row a = p.getValue().get("A"), b = p.getValue().get("B");
                if (a == null || b == null) continue;
                double r = (b.d("rss_kb") - a.d("rss_kb")) / 1024, h = (b.d("heap_used_kb") - a.d("heap_used_kb")) / 1024,
                        m = (b.d("metaspace_used_kb") - a.d("metaspace_used_kb")) / 1024;
                dr.add(r); dh.add(h); dm.add(m); dt.add(h + m);
                memTable.append("| ").append(p.getKey()).append(" | ").append(f(a.d("rss_kb") / 1024, 1)).append(" | ")
                        .append(f(b.d("rss_kb") / 1024, 1)).append(" | ").append(f(r, 1)).append(" | ")
                        .append(f(a.d("heap_used_kb") / 1024, 1)).append(" | ").append(f(b.d("heap_used_kb") / 1024, 1)).append(" | ")
                        .append(f(a.d("metaspace_used_kb") / 1024, 1)).append(" | ").append(f(b.d("metaspace_used_kb") / 1024, 1))
                        .append(" | ").append(f(h + m, 1)).append(" |\n");
            }
            memTable.append("| **median (min–max)** | | | ").append(spreadBold(dr, 1)).append(" | | | | | ").append(spreadBold(dt, 1)).append(" |\n");
            memMedian.append("| ").append(appName(app)).append(" | ").append(spread(dr, 1)).append(" | ").append(spread(dh, 1))
                    .append(" | ").append(spread(dm, 1)).append(" | ").append(spread(dt, 1)).append(" |\n");
            memDiff.put(app, dt); rssDiff.put(app, dr);
            summary.add(new String[] {"heap + metaspace overhead ≤ " + (int) MEMORY_MB_MAX + " MB", appName(app),
                    spread(dt, 1) + " MB (RSS: " + spread(dr, 1) + " MB)", median(dt) <= MEMORY_MB_MAX ? "met" : "**missed**"});
        }

        // ---------------------------------------------------------------- startup
        StringBuilder startTable = new StringBuilder();
        if (!startup.isEmpty()) {
            startTable.append("| app | without agent, ms | with -javaagent, ms | paired difference B − A, ms | first connection without / with, ms | paired difference B − A, ms | runs kept | load1 during |\n|---|---|---|---|---|---|---|---|\n");
            Map<String, List<Row>> byApp = startup.stream().collect(Collectors.groupingBy(r -> r.s("app"), LinkedHashMap::new, Collectors.toList()));
            for (var e : byApp.entrySet()) {
                Map<String, Map<String, Row>> runs = new LinkedHashMap<>();
                int rows = 0, keptRows = 0;
                for (Row r : e.getValue()) {
                    rows++;
                    runs.computeIfAbsent(r.s("run"), k -> new LinkedHashMap<>());
                    if (r.kept()) {
                        keptRows++;
                        runs.get(r.s("run")).put(r.s("side"), r);
                    }
                }
                List<Double> a = new ArrayList<>(), b = new ArrayList<>(), d = new ArrayList<>(), load = new ArrayList<>();
                List<Double> fa = new ArrayList<>(), fb = new ArrayList<>(), fd = new ArrayList<>();
                for (var run : runs.values()) {
                    Row ra = run.get("A"), rb = run.get("B");
                    if (ra != null) { a.add(ra.d("ms_to_first_200")); fa.add(ra.d("first_connection_ms")); load.add(ra.d("load1")); }
                    if (rb != null) { b.add(rb.d("ms_to_first_200")); fb.add(rb.d("first_connection_ms")); load.add(rb.d("load1")); }
                    if (ra != null && rb != null) {
                        d.add(rb.d("ms_to_first_200") - ra.d("ms_to_first_200"));
                        fd.add(rb.d("first_connection_ms") - ra.d("first_connection_ms"));
                    }
                }
                String kept = keptRows + " of " + rows;
                startTable.append("| ").append(appName(e.getKey())).append(" | ").append(spread(a, 0)).append(" | ").append(spread(b, 0))
                        .append(" | ").append(spread(d, 0)).append(" | ").append(spread(fa, 1)).append(" / ").append(spread(fb, 1))
                        .append(" | ").append(spread(fd, 1)).append(" | ").append(kept).append(" | ")
                        .append(f(min(load), 2)).append("–").append(f(max(load), 2)).append(" |\n");
                summary.add(new String[] {"start-up overhead ≤ " + (int) STARTUP_MS_MAX + " ms", appName(e.getKey()),
                        spread(d, 0) + " ms; " + d.size() + " pairs from " + kept + " runs kept",
                        Targets.unlessAllDiscarded(Targets.judge(d, STARTUP_MS_MAX, true), rows - keptRows)});
                summary.add(new String[] {"first connection overhead ≤ " + (int) FIRST_CONNECTION_MS_MAX + " ms", appName(e.getKey()),
                        spread(fd, 1) + " ms; " + fd.stream().filter(x -> !x.isNaN()).count() + " pairs from " + kept + " runs kept",
                        Targets.unlessAllDiscarded(Targets.judge(fd, FIRST_CONNECTION_MS_MAX, true), rows - keptRows)});
            }
        }

        // ---------------------------------------------------------------- where the start-up goes
        StringBuilder profileTable = new StringBuilder();
        if (!profile.isEmpty()) {
            profileTable.append("| app | classes loaded by READY + 1 s: without / with | from the agent jar: Byte Buddy (with ASM) / slf4j / h2patch | premain, ms | Byte Buddy loading, first → last class, ms after JVM start | classes woven at start | their loads in the agent's transformer, ms | warm-up thread, ms |\n|---|---|---|---|---|---|---|---|\n");
            Map<String, Map<String, Row>> byApp = new LinkedHashMap<>();
            for (Row r : profile) byApp.computeIfAbsent(r.s("app"), k -> new LinkedHashMap<>()).put(r.s("side"), r);
            for (var e : byApp.entrySet()) {
                Row a = e.getValue().get("A"), b = e.getValue().get("B");
                if (a == null || b == null) continue;
                profileTable.append("| ").append(appName(e.getKey())).append(" | ").append(a.s("classes")).append(" / ")
                        .append(b.s("classes")).append(" | ").append(b.s("byte_buddy")).append(" / ").append(b.s("slf4j"))
                        .append(" / ").append(b.s("h2patch")).append(" | ")
                        .append(f(b.d("app_first_class_ms") - b.d("premain_start_ms"), 0)).append(" | ")
                        .append(b.s("byte_buddy_first_ms")).append(" → ").append(b.s("byte_buddy_last_ms")).append(" (")
                        .append(f(b.d("byte_buddy_last_ms") - b.d("byte_buddy_first_ms"), 0)).append(") | ")
                        .append(b.s("woven_at_start")).append(" | ").append(b.s("in_transformer_ms")).append(" | ")
                        .append(b.s("warm_up_ms")).append(" |\n");
            }
        }

        // ---------------------------------------------------------------- attach
        StringBuilder attachTable = new StringBuilder();
        if (!attach.isEmpty()) {
            attachTable.append("| app | JVM | attached | bug on the wire before | attach command, ms | fix active on the wire, ms after the command started | inside the target, ms | exit | longest gap between completions: baseline / attach window, ms | slowest request: baseline / attach window, ms | requests (failed) | load1 before → after |\n")
                    .append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
            for (Row r : attach) {
                boolean reference = isNoOpAttach(r);
                // Results from before the column: the JVM of the machine section.
                String jvm = r.s("jvm").equals("NA") ? "" : r.s("jvm");
                String scope = appName(r.s("app")) + (jvm.isEmpty() ? "" : ", Java " + jvm);
                attachTable.append("| ").append(appName(r.s("app"))).append(" | ").append(jvm).append(" | ")
                        .append(reference ? "no-op agent (the JVM's own cost)" : "h2patch")
                        .append(r.kept() ? "" : "; **discarded**, other processes used " + r.s("foreign_cores") + " cores")
                        .append(" | ")
                        .append(reference ? "" : r.s("bug_before")).append(" | ")
                        .append(r.s("cmd_ms")).append(" | ")
                        .append(reference ? "" : r.s("active_ms").equals("NA") ? "n/a (no bug to see: the command's return)" : r.s("active_ms"))
                        .append(" | ").append(reference ? "" : r.s("in_target_ms")).append(" | ").append(r.s("attach_exit")).append(" | ")
                        .append(r.s("baseline_max_gap_ms")).append(" / ").append(r.s("attach_max_gap_ms")).append(" | ")
                        .append(r.s("baseline_max_latency_ms")).append(" / ").append(r.s("attach_max_latency_ms")).append(" | ")
                        .append(r.s("requests")).append(" (").append(r.s("failed")).append(") | ")
                        .append(r.s("load1_before")).append(" → ").append(r.s("load1_after")).append(" |\n");
                if (reference) {
                    continue;
                }
                double active = r.s("active_ms").equals("NA") ? r.d("cmd_ms") : r.d("active_ms");
                summary.add(new String[] {"attach to active ≤ " + (int) ATTACH_MS_MAX + " ms", scope,
                        f(active, 0) + " ms" + (r.s("active_ms").equals("NA") ? " (command return)" : " (on the wire)")
                                + "; in the target " + r.s("in_target_ms") + " ms",
                        active <= ATTACH_MS_MAX ? "met" : "**missed**"});
                double gap = r.d("attach_max_gap_ms"), base = r.d("baseline_max_gap_ms");
                // Only a no-op attach that succeeded (exit 0) retransformed anything: only then is its pause the JVM's.
                Row floor = attach.stream().filter(o -> isNoOpAttach(o) && o.kept() && o.s("attach_exit").equals("0")
                        && o.s("app").equals(r.s("app")) && o.s("jvm").equals(r.s("jvm"))).findFirst().orElse(null);
                summary.add(new String[] {"no client-visible pause > " + (int) PAUSE_MS_MAX + " ms during attach", scope,
                        "longest gap " + f(gap, 1) + " ms (baseline " + f(base, 1) + " ms); slowest request "
                                + r.s("attach_max_latency_ms") + " ms (baseline " + r.s("baseline_max_latency_ms") + " ms)"
                                + (floor == null ? "" : "; a no-op agent's: longest gap " + floor.s("attach_max_gap_ms")
                                        + " ms, slowest request " + floor.s("attach_max_latency_ms") + " ms"),
                        r.kept() ? Targets.pause(gap, r.d("attach_max_latency_ms"), base, r.d("baseline_max_latency_ms"),
                                floor == null ? Double.NaN : Math.max(floor.d("attach_max_gap_ms"), floor.d("attach_max_latency_ms")))
                                : "not resolved: other processes used " + r.s("foreign_cores")
                                        + " cores during the attach window"});
            }
        }

        // ---------------------------------------------------------------- jmh
        StringBuilder jmhTable = new StringBuilder();
        if (!jmhWithout.isEmpty() || !jmhWith.isEmpty()) {
            jmhTable.append("| benchmark | ns/op without | ns/op with | added ns/op | B/op without | B/op with | added B/op |\n|---|---|---|---|---|---|---|\n");
            Set<String> names = new LinkedHashSet<>(jmhWithout.keySet());
            names.addAll(jmhWith.keySet());
            for (String n : names) {
                double[] a = jmhWithout.getOrDefault(n, new double[] {NaN, NaN, NaN, NaN});
                double[] b = jmhWith.getOrDefault(n, new double[] {NaN, NaN, NaN, NaN});
                jmhTable.append("| `").append(n).append("` | ").append(f(a[0], 1)).append(" ± ").append(f(a[1], 1))
                        .append(" | ").append(f(b[0], 1)).append(" ± ").append(f(b[1], 1)).append(" | ").append(f(b[0] - a[0], 1))
                        .append(" | ").append(f(a[2], 2)).append(" ± ").append(f(a[3], 2)).append(" | ").append(f(b[2], 2)).append(" ± ")
                        .append(f(b[3], 2)).append(" | ").append(f(b[2] - a[2], 2)).append(" |\n");
                double dAlloc = b[2] - a[2];
                String allocVerdict = Targets.allocation(dAlloc, a[3], b[3]);
                String nsAdded = forkNote(jmhForksWithout.get(n), jmhForksWith.get(n));
                if (nsAdded == null) {
                    nsAdded = f(b[0] - a[0], 1) + " ns/op added" + (Math.abs(b[0] - a[0])
                            <= (Double.isNaN(a[1]) ? 0 : a[1]) + (Double.isNaN(b[1]) ? 0 : b[1])
                            ? " (within the errors ± " + f(a[1], 1) + " / ± " + f(b[1], 1) + ")"
                            : " (errors ± " + f(a[1], 1) + " / ± " + f(b[1], 1) + ")");
                }
                summary.add(new String[] {"zero bytes allocated per frame (no change needed); ns added", "JMH `" + n + "`",
                        f(dAlloc, 2) + " B/op added; " + nsAdded, allocVerdict});
            }
        }

        // ---------------------------------------------------------------- write
        md.append("## Summary against the targets\n\n")
                .append("Ratios are *with the agent ÷ without*, per pair, then the median of the pairs with the min–max spread in\n")
                .append("parentheses. Only kept runs count: a run during which other processes used more than ")
                .append(env.getOrDefault("max_foreign_cores", "?")).append(" cores\n")
                .append("(`/proc/stat` less the benchmark's own processes) is discarded and repeated. A target is **met** when every\n")
                .append("kept pair meets it, **missed** when none does, and **not resolved** when the pairs fall on both sides of it:\n")
                .append("then this machine's noise is larger than the distance to the target, and neither word would be honest.\n\n")
                .append("| target | scope | measured: median (min–max) | verdict |\n|---|---|---|---|\n");
        for (String[] s : summary) md.append("| ").append(String.join(" | ", s)).append(" |\n");

        md.append("\n## Machine\n\n")
                .append("| | |\n|---|---|\n")
                .append("| CPUs (`nproc`) | ").append(env.getOrDefault("nproc", "?")).append(" |\n")
                .append("| CPU model | ").append(env.getOrDefault("cpu", "?")).append(" |\n")
                .append("| memory | ").append(env.getOrDefault("mem", "?")).append(" |\n")
                .append("| kernel | ").append(env.getOrDefault("kernel", "?")).append(" |\n")
                .append("| JDK (apps, agent, JMH) | ").append(env.getOrDefault("java", "?")).append(" |\n")
                .append(env.getOrDefault("attach_also_on", "").isEmpty() ? ""
                        : "| attach section also on | " + env.get("attach_also_on") + " |\n")
                .append("| load client | ").append(env.getOrDefault("h2load", "?")).append(" |\n")
                .append("| `/proc/loadavg` at start | ").append(env.getOrDefault("load_start", "?")).append(" |\n")
                .append("| `/proc/loadavg` at end | ").append(env.getOrDefault("load_end", "?")).append(" |\n")
                .append("| 1-minute load average before each measured run: median (min–max) | ")
                .append(pairs.isEmpty() ? "n/a" : spread(pairs.stream().map(r -> r.d("load1_before")).collect(Collectors.toList()), 2))
                .append(" (paired runs); ")
                .append(startup.isEmpty() ? "n/a" : spread(startup.stream().map(r -> r.d("load1")).collect(Collectors.toList()), 2))
                .append(" (start-up runs) |\n")
                .append("| sections run, wall time | ").append(env.getOrDefault("sections", "?")).append(", ")
                .append(minutes(env)).append(" |\n")
                .append("| agent jar (sha256 prefix, built) | ").append(env.getOrDefault("agent_jar", "?")).append(" |\n")
                .append("| source | ").append(env.getOrDefault("commit", "?")).append(" |\n\n")
                .append("The machine is **shared** (a virtual machine; other builds and test runs may run at the same time). Each\n")
                .append("measured run records the 1-minute load average before it (tables below). Clients (h2load) and servers share\n")
                .append("the same ").append(env.getOrDefault("nproc", "?")).append(" CPUs")
                .append(pairsAtOnce ? " (in the paired runs, two servers and two clients at once)" : "")
                .append(", so absolute req/s are far below what the servers\n")
                .append("do on real hardware; the *ratios* of runs made side by side are what this benchmark is for.\n");

        md.append("\n## Method\n\n")
                .append("One command runs everything and writes this file: `").append(COMMAND).append("` (`--pairs N`, default 5;\n")
                .append("`--quick` is a smoke run). It builds what is missing (`mvn -DskipTests package` of the agent, the apps and\n")
                .append("`test-apps/benchmark/jmh`), then:\n\n")
                .append("0. **A quiet machine.** Before each measured run the driver waits (up to 120 s) until processes other than\n")
                .append("   its own use at most ").append(env.getOrDefault("max_foreign_cores", "?"))
                .append(" cores (`/proc/stat` over 1 s, less the server's, the driver's and its reaped clients' ticks);\n")
                .append("   after the run, the same sum over the measured window decides whether the run is kept; a discarded run is\n")
                .append("   repeated up to ").append(env.getOrDefault("retries", "?")).append(" times (`foreign_cores` and `kept` in the raw TSVs).\n")
                .append(pairsAtOnce
                        ? "1. **Paired runs, both sides at once.** For each pair and each app, the app is started twice on two ports,\n"
                        + "   without the agent (A) and with `-javaagent:" + agentJar() + "` (B), and each is driven by its own h2load\n"
                        + "   at the same moment for the same time: the two runs of a pair share the seconds, so the machine's drift\n"
                        + "   (tens of percent over minutes on this shared host) is in both and leaves B÷A alone, which is then how the\n"
                        + "   two JVMs split the same CPUs. Which side starts first and takes the lower port alternates;\n"
                        : "1. **Paired runs.** For each pair and each app, the app is started without the agent (A), measured and\n"
                        + "   stopped, and started with `-javaagent:" + agentJar() + "` (B), measured and stopped, in the order\n"
                        + "   A B, B A, A B, … so that a drift of the machine does not favour one side;\n")
                .append(env.getOrDefault("agent_options", "").isEmpty() ? ""
                        : "   **The agent ran with the options `" + env.get("agent_options") + "`** (BENCH_AGENT_OPTIONS), not its defaults.\n")
                .append("   ").append(env.getOrDefault("pairs", "?")).append(" pairs. JVM flags, both sides: `").append(env.getOrDefault("jvm_flags", "?"))
                .append("`. In each run, for each workload, h2load\n")
                .append("   warms the server up for ").append(env.getOrDefault("warm_s", "?")).append(" s and then measures for ")
                .append(env.getOrDefault("measure_s", "?")).append(" s with `-c ").append(env.getOrDefault("conns", "?"))
                .append(" -m ").append(env.getOrDefault("streams", "?")).append("` (").append(env.getOrDefault("conns", "?"))
                .append(" h2c connections, up to ").append(env.getOrDefault("streams", "?")).append(" concurrent streams each).\n")
                .append("   Workloads: `plain` = `GET /hello` (200 with a body: HEADERS + DATA(END_STREAM), nothing for the agent to\n")
                .append("   change; grpc-server has no `/hello`, so there it is a unary gRPC `Echo` of a 5-byte message: HEADERS, DATA,\n")
                .append("   trailers with END_STREAM, also nothing to change); `trailers-only` = `POST /h2patch.Test/Fail` with `content-type: application/grpc`, `te: trailers`\n")
                .append("   and a 5-byte gRPC message: the gRPC Trailers-Only error. On the Netty and Jetty apps that answer is the\n")
                .append("   end-stream bug (HEADERS, then an empty DATA(END_STREAM)) without the agent and one HEADERS(END_STREAM) with\n")
                .append("   it, so B measures the fixed path against the unfixed one; grpc-java answers it correctly, so there B is a\n")
                .append("   path that needs no change. Figures: req/s from h2load's summary; p50/p99 from h2load's per-request\n")
                .append("   `--log-file` (h2load itself prints only min/max/mean/sd); server CPU per request = the server process's\n")
                .append("   utime + stime (`/proc/PID/stat`) over the measured window ÷ requests completed; after both workloads\n")
                .append("   `VmRSS` (`/proc/PID/status`), then `jcmd PID GC.run` and `jcmd PID GC.heap_info`: heap used after a full\n")
                .append("   GC and metaspace used.\n")
                .append(appThreads
                        ? "   CPU per request is also given for the application threads alone: every thread of the process but the\n"
                        + "   JVM's own (`/proc/PID/task/*/stat`; left out: `C1`/`C2 CompilerThread`, `Sweeper thread`, `GC Thread#`,\n"
                        + "   `G1 …`, `VM Thread`, `VM Periodic Task`), whose work follows the JIT's and GC's schedule rather than the\n"
                        + "   requests: both JVMs' compilers were still busy 40 s into the load. A thread that ended meanwhile is not\n"
                        + "   counted.\n" : "")
                .append(controlByKey.isEmpty() ? ""
                        : "   **Control pairs.** After each app's pair, a second pair of the same app is run the same way on the `plain`\n"
                        + "   workload with neither side running the agent (A/A): what B÷A reads when only the two JVMs differ (their\n"
                        + "   JIT's and GC's schedules, which one started first, the port). A verdict on a ratio with control pairs\n"
                        + "   stands only when the median ratio, divided by the least favourable control ratio (or by 1, if that is less\n"
                        + "   favourable), still meets (or misses) the target; otherwise it is \"not resolved\" (`Targets.judge`).\n")
                .append("2. **Start-up.** Time from just before `java -jar app.jar` is launched (the script's clock) to the first 200\n")
                .append("   on `/hello` (grpc-server: `Echo`), polled with `curl --http2-prior-knowledge` every ~5 ms (so the resolution is ~10 ms),\n")
                .append("   without and with `-javaagent`, alternating, ").append(env.getOrDefault("startups", "?")).append(" each. \"First connection\" is the\n")
                .append("   poll that got that first 200: curl's `time_starttransfer − time_connect` on that fresh connection (the\n")
                .append("   server's SETTINGS, the request and its answer).\n")
                .append("3. **Attach.** The app runs without the agent; h2load drives the `plain` workload at a fixed rate (`-c 4 -m 10 --rps ")
                .append(env.getOrDefault("attach_rps", "?")).append("`,\n")
                .append("   i.e. ").append(4 * Integer.parseInt(env.getOrDefault("attach_rps", "0"))).append(" req/s) with `--log-file`. After a baseline window, `java -jar h2patch-agent.jar attach PID` runs while\n")
                .append("   a poller calls `/h2patch.Test/Fail` with `nghttp -v` until the answer is a single HEADERS frame with\n")
                .append("   flags=0x05 (END_STREAM | END_HEADERS): that is \"fix active on the wire\", measured from the command's start.\n")
                .append("   (grpc-java has no bug to see, so there the command's return is reported.) From the per-request log: the\n")
                .append("   longest gap between two consecutive completed requests and the slowest request, in the baseline window\n")
                .append("   (1 s after the load started until the command) and in the attach window (command start until 1 s after it\n")
                .append("   returned). The attach command is itself a JVM competing for the same CPUs; that is part of the cost.\n")
                .append("   Before it, in a fresh JVM of the same app under the same load, the reference: a no-op agent\n")
                .append("   (`NoOpRetransformAgent`, attached from its own JVM) retransforms the app's main class with a transformer that\n")
                .append("   changes nothing. That pause is the JVM's, whatever the agent: on a JVM started without an agent, HotSpot before\n")
                .append("   JDK 23 deoptimizes every compiled method at the first class redefinition, because it has not recorded which\n")
                .append("   compiled code depends on which class (JDK-8324241 records it always, from JDK 23), so the app runs interpreted\n")
                .append("   until the JIT has compiled it again. Where the no-op agent's pause alone exceeds the target, the verdict says so.\n")
                .append("   With `BENCH_ATTACH_JAVA_HOMES`, the section runs again on each of those JDKs (the app, the no-op\n")
                .append("   attacher and the attach command all on it); the JVM column says which.\n")
                .append("4. **JMH** (`test-apps/benchmark/jmh`, `Http2WritePathBenchmark`): Netty 4.1's real HTTP/2 codec\n")
                .append("   (`Http2ConnectionHandler` → `DefaultHttp2ConnectionEncoder` → `DefaultHttp2FrameWriter`) in server mode on\n")
                .append("   an `EmbeddedChannel` whose head discards what reaches it; responses that need no change: `plainResponse`\n")
                .append("   (HEADERS + DATA(END_STREAM) + flush), `grpcResponse` (HEADERS + DATA + trailers with END_STREAM, as\n")
                .append("   grpc-java writes them), the frame writer alone (`frameWriterData`: DATA with a body;\n")
                .append("   `frameWriterEmptyEndStream`: empty DATA(END_STREAM) — on an EmbeddedChannel, which has no parent channel, the\n")
                .append("   fold advice stops at its \"not an accepted connection\" check, as on client connections; on a real accepted\n")
                .append("   connection such a frame goes on to look at the unflushed tail) and `headChannelRead` (a read through the\n")
                .append("   pipeline head: `HeadContextChannelReadAdvice`). Run twice, plain and with\n")
                .append("   `-jvmArgsAppend -javaagent:" + agentJar() + "`, each `").append(env.getOrDefault("jmh_args", "?"))
                .append(" -prof gc`. B/op is JMH's `gc.alloc.rate.norm`. The agent's\n")
                .append("   start-up line in the forked JVMs confirms it patched Netty there: ").append(jmhActive).append(".\n");

        md.append("\n## Throughput, latency, CPU: medians\n\n").append(medianTable);
        md.append("\n### Per pair\n\nA = without the agent, B = with it. Latencies in ms. `load1` = the 1-minute load average before the run.\n")
                .append(pairTables);
        if (controlTables.length() > 0) {
            md.append("\n### Control pairs: both sides without the agent\n\nThe same as a pair, with no agent on either side: the\n")
                    .append("spread of B÷A when nothing differs.\n").append(controlTables);
        }
        md.append("\n## Memory\n\nAfter the measured runs; heap = used after `jcmd GC.run`. The agent's own classes live in metaspace.\n\n")
                .append(memMedian).append("\n### Per pair\n").append(memTable);
        md.append("\n## Start-up: JVM start to first served response\n\nmedian (min–max)\n\n").append(startTable);
        if (profileTable.length() > 0) {
            md.append("\n### Where the start-up goes\n\nOne run per side under `-Xlog:class+load` (uptime decorations), stopped 1 s after\n")
                    .append("READY; the agent at `log=debug`, which names each class it weaves. premain = from the agent's first class\n")
                    .append("to the app's first class (the JVM loads the main class once premain has returned). Byte Buddy is loaded\n")
                    .append("from premain on, by the `h2patch-warmup` thread: it starts once the options are read, weaves a class of\n")
                    .append("the agent's own to load the weaver, then weaves the system class loader's advised classes ahead of\n")
                    .append("their load (`AheadOfLoadWeaver`). An application thread that loads one of them before that waits for\n")
                    .append("it, or weaves it itself if it was not listed yet, the two threads then sharing Byte Buddy's loading.\n")
                    .append("Byte Buddy's first → last class is the span of that cold work, class loading and cold code\n")
                    .append("together. The agent's log gives the rest: the time the loads of the classes woven at start spent in\n")
                    .append("its transformer (on the loading application thread: waiting for the weave-ahead thread, or weaving)\n")
                    .append("and the warm-up thread's own time, from premain to its last weave. The first is start-up time the\n")
                    .append("application's thread could not use; the rest of the difference is the two threads (and the JIT\n")
                    .append("compiling Byte Buddy's code) sharing the CPUs. These are single runs: the counts are exact, the\n")
                    .append("times are as noisy as the machine.\n\n")
                    .append(profileTable);
        }
        md.append("\n## Attach under load\n\n").append(attachTable);
        if (!inlining.isEmpty()) {
            md.append("\n## The JIT's inlining of the advised methods\n\n")
                    .append("One run per side under `-XX:+PrintInlining`, driven by the plain workload (nothing to fix) for the\n")
                    .append("warm-up and the measured time. Listed: every method of a class the agent wove (its log at `log=debug`)\n")
                    .append("that the JIT printed with a size no method of that name has in the app's jar, i.e. with advice in it;\n")
                    .append("\"bytes without\" are the sizes in the jar (overloads: `a/b`), and their decisions are those printed without\n")
                    .append("the agent. C2 inlines a hot callee only up to `FreqInlineSize` (325 bytes): a per-request\n")
                    .append("method that C2 inlined without the agent and calls with it (\"hot method too big\") costs a call on\n")
                    .append("every request (docs/libraries/netty.md, \"The inlining budget of the per-request methods\"). A decision is\n")
                    .append("printed once per compilation that considered the call, by C1 (whose limit is `MaxInlineSize`, 35 bytes:\n")
                    .append("\"callee is too large\") and by C2; the counts are single runs.\n\n")
                    .append(inliningTable(inlining));
        }
        md.append("\n## JMH: hot advice paths that change nothing\n\n")
                .append("Score ± JMH's 99.9% error, which pools the iterations of all forks; the summary compares the forks'\n")
                .append("means instead (a fork's JIT outcome can differ from the next one's by a quarter on this codec, on either side).\n")
                .append("Load average before → after: without ").append(jmhLoad.getOrDefault("without", "?"))
                .append(", with ").append(jmhLoad.getOrDefault("with", "?")).append(". The B/op of the baseline is Netty's own\n")
                .append("(promises, stream objects, buffer duplicates); the agent's share is the difference.\n\n")
                .append(jmhTable);
        md.append("\n## Reproduce\n\n```\n").append(COMMAND).append("            # full: ")
                .append("5 pairs (this run: see \"wall time\" above)\n")
                .append(COMMAND).append(" --pairs 7  # more pairs\n")
                .append(COMMAND).append(" --quick    # smoke run (2 pairs, short runs); writes test-apps/benchmark/target/performance-quick.md\n```\n\n")
                .append(env.getOrDefault("attach_also_on", "").isEmpty() ? ""
                        : "This run's attach section ran also on other JDKs (see \"Machine\"): set `BENCH_ATTACH_JAVA_HOMES` to\n"
                                + "their homes, space-separated, for that.\n\n")
                .append("Needs a JDK 17+, Maven, `h2load` and `nghttp` (Debian: `nghttp2-client`) and `curl`. Raw results:\n")
                .append("`test-apps/benchmark/target/results/` (`pairs.tsv`, `memory.tsv`, `startup.tsv`, `attach.tsv`, `jmh-*.csv`,\n")
                .append("`env.tsv`, and every h2load output under `raw/`). For quiet figures, run it when `cat /proc/loadavg` shows a\n")
                .append("load well below the number of CPUs.\n");

        Files.writeString(outFile, md.toString());
    }
}
