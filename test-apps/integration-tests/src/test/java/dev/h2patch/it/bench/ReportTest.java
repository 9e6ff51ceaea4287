package dev.h2patch.it.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * docs/performance.md from a small set of raw results: the summary rows and tables; runs discarded for a busy machine
 * do not count, and a spread across a target is "not resolved" (issue 20).
 */
class ReportTest {

    @Test
    void writesTheSummaryFromRawResults(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("env.tsv"), List.of("date\t2026-12-02 23:00 UTC", "nproc\t2", "quick\t1",
                "pairs\t2", "start_epoch\t1000", "end_epoch\t1120", "sections\tpairs,startup,attach", "attach_rps\t250",
                "pairs_at_once\t1"));
        Files.write(dir.resolve("pairs.tsv"), List.of(
                "pair\tapp\tside\tworkload\treq_s\tp50_us\tp99_us\tcpu_us_per_req\tsucceeded\tfailed\tload1_before"
                        + "\tload1_after\tforeign_cores\tkept",
                "1\tnetty-server\tA\tplain\t10000\t1000\t2000\t50.00\t60000\t0\t0.5\t1.0\t0.02\t1",
                // discarded (a build ran meanwhile) and repeated: its 1000 req/s must not enter the ratio
                "1\tnetty-server\tB\tplain\t1000\t9000\t20000\t99.00\t6000\t0\t1.0\t1.9\t0.85\t0",
                "1\tnetty-server\tB\tplain\t9000\t1100\t2200\t55.00\t54000\t0\t1.0\t1.2\t0.03\t1",
                "2\tnetty-server\tB\tplain\t11000\t900\t1800\t45.00\t66000\t0\t1.0\t1.2\t0.01\t1",
                "2\tnetty-server\tA\tplain\t10000\t1000\t2000\t50.00\t60000\t0\t0.5\t1.0\t0.00\t1"));
        Files.write(dir.resolve("memory.tsv"), List.of(
                "pair\tapp\tside\trss_kb\theap_used_kb\tmetaspace_used_kb\tclass_space_used_kb",
                "1\tnetty-server\tA\t102400\t10240\t20480\t2048",
                "1\tnetty-server\tB\t112640\t14336\t24576\t2560"));
        Files.write(dir.resolve("startup.tsv"), List.of(
                "run\tapp\tside\tms_to_first_200\tload1\tfirst_connection_ms\tforeign_cores\tkept",
                "1\tnetty-server\tA\t1000\t0.5\t50.0\t0.01\t1", "1\tnetty-server\tB\t1250\t0.6\t62.5\t0.02\t1",
                "2\tnetty-server\tB\t2000\t0.6\t90.0\t0.70\t0", "2\tnetty-server\tB\t1030\t0.6\t60.0\t0.02\t1",
                "2\tnetty-server\tA\t1000\t0.5\t50.0\t0.01\t1"));
        Files.write(dir.resolve("attach.tsv"), List.of("app\tattacher\tbug_before\tcmd_ms\tactive_ms\tin_target_ms"
                        + "\tattach_exit\tbaseline_max_gap_ms\tattach_max_gap_ms\tbaseline_max_latency_ms"
                        + "\tattach_max_latency_ms\trequests\tfailed\tload1_before\tload1_after\tforeign_cores\tkept",
                "netty-server\tno-op\tyes\t400\tNA\tNA\t0\t12.0\t88.0\t4.0\t120.5\t8000\t0\t0.3\t0.4\t0.01\t1",
                "netty-server\th2patch\tyes\t700\t934\t467\t0\t14.1\t31.3\t5.0\t139.3\t8000\t0\t0.4\t1.5\t0.02\t1",
                "jetty121-server\tno-op\tyes\t400\tNA\tNA\t1\t12.0\t88.0\t4.0\t120.5\t8000\t0\t0.3\t0.4\t0.25\t0",
                "jetty121-server\th2patch\tyes\t700\t934\t467\t0\t14.1\t31.3\t5.0\t139.3\t8000\t0\t0.4\t1.5\t0.02\t1"));
        Files.write(dir.resolve("startup-profile.tsv"), List.of("app\tside\tclasses\tfrom_agent_jar\tbyte_buddy\tslf4j"
                        + "\th2patch\tpremain_start_ms\tapp_first_class_ms\tbyte_buddy_first_ms\tbyte_buddy_last_ms"
                        + "\twoven_at_start\tin_transformer_ms\twarm_up_ms",
                "netty-server\tA\t1581\t0\t0\t0\t0\t-1\t98\t-1\t-1\tNA\tNA\tNA",
                "netty-server\tB\t2564\t832\t717\t36\t79\t134\t202\t178\t611\t2\t455\t742"));
        Path out = dir.resolve("performance.md");
        Report.write(dir, out);
        String md = Files.readString(out);
        assertTrue(md.startsWith("# Performance: what the agent costs\n"), md);
        assertTrue(md.contains("**Quick (smoke) run**"), md);
        // ratios of the kept runs: 0.9 and 1.1 -> median 1.000, spread 0.900–1.100: on both sides of 0.99
        assertTrue(md.contains("| throughput ratio ≥ 0.99 | Netty 4.1 (netty-server), plain (no fix needed) | "
                + "1.000 (0.900–1.100); 2 of 2 pairs kept, 1 run(s) discarded and repeated | not resolved: the runs fall "
                + "on both sides of the target |"), md);
        // CPU per request: 55/50 = 1.1 and 45/50 = 0.9
        assertTrue(md.contains("| CPU per request ratio ≤ 1.01 | Netty 4.1 (netty-server), plain (no fix needed) | "
                + "1.000 (0.900–1.100); 2 of 2 pairs kept, 1 run(s) discarded and repeated | not resolved: the runs fall "
                + "on both sides of the target |"), md);
        assertTrue(md.contains("| heap + metaspace overhead ≤ 16 MB | Netty 4.1 (netty-server) | 8.0 (8.0–8.0) MB "
                + "(RSS: 10.0 (10.0–10.0) MB) | met |"), md);
        // B − A of the kept runs: 250 and 30 ms (the discarded 2000 ms run is left out)
        assertTrue(md.contains("| start-up overhead ≤ 100 ms | Netty 4.1 (netty-server) | 140 (30–250) ms; 2 pairs from "
                + "4 of 5 runs kept | not resolved: the runs fall on both sides of the target |"), md);
        assertTrue(md.contains("| first connection overhead ≤ 20 ms | Netty 4.1 (netty-server) | 11.3 (10.0–12.5) ms; 2 "
                + "pairs from 4 of 5 runs kept | met |"), md);
        assertTrue(md.contains("| attach to active ≤ 1000 ms | Netty 4.1 (netty-server) | 934 ms (on the wire); in the "
                + "target 467 ms | met |"), md);
        // Netty's pause is above the target, as is the no-op agent's on the same app: the verdict names the JVM's share
        assertTrue(md.contains("| no client-visible pause > 50 ms during attach | Netty 4.1 (netty-server) | longest gap "
                + "31.3 ms (baseline 14.1 ms); slowest request 139.3 ms (baseline 5.0 ms); a no-op agent's: longest gap "
                + "88.0 ms, slowest request 120.5 ms | **missed**, as by any agent on this JVM: a no-op retransformation of "
                + "one class already pauses 120.5 ms"), md);
        // Jetty's no-op attach failed (exit 1), so it retransformed nothing: no reference, a plain "missed"
        assertTrue(md.contains("slowest request 139.3 ms (baseline 5.0 ms) | **missed** |"), md);
        // attach.tsv from before the JVM column: that cell is empty
        assertTrue(md.contains("| Netty 4.1 (netty-server) |  | no-op agent (the JVM's own cost) |  | 400 |  |  | 0 | 12.0 / 88.0 "
                + "| 4.0 / 120.5 | 8000 (0) |"), md);
        assertTrue(md.contains("1. **Paired runs, both sides at once.**"), md);
        assertFalse(md.contains("A B, B A, A B"), md);
        // results from before the control pairs and the application threads' CPU: neither is shown
        assertFalse(md.contains("Control pairs"), md);
        assertFalse(md.contains("application threads"), md);
        assertFalse(md.contains("The agent ran with the options"), md);
        // a discarded run stays in the table, marked, so that no reader takes it for a kept one
        assertTrue(md.contains("| Jetty 12.1 (jetty121-server) |  | no-op agent (the JVM's own cost); **discarded**, other "
                + "processes used 0.25 cores |  | 400 |"), md);
        assertTrue(md.contains("| Netty 4.1 (netty-server) |  | h2patch |"), md);
        // one verdict per h2patch attach (two apps); the no-op reference has none of its own
        assertEquals(2, md.lines().filter(l -> l.startsWith("| attach to active")).count(), md);
        assertTrue(md.contains("| Netty 4.1 (netty-server) | 1581 / 2564 | 717 / 36 / 79 | 68 | 178 → 611 (433) | 2 | 455 | 742 |"), md);
        assertTrue(md.contains("| sections run, wall time | pairs,startup,attach, 2.0 minutes |"), md);
    }

    @Test
    void judgesEachJvmsAttachAgainstThatJvmsNoOpAttach(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("env.tsv"), List.of("date\t2026-12-05 18:00 UTC", "nproc\t2", "sections\tattach",
                "attach_rps\t250", "java\tOpenJDK Runtime Environment (build 17.0.15+6)",
                "attach_also_on\t25.0.3 (/opt/jdk25/bin/java)"));
        String columns = "app\tjvm\tattacher\tbug_before\tcmd_ms\tactive_ms\tin_target_ms\tattach_exit"
                + "\tbaseline_max_gap_ms\tattach_max_gap_ms\tbaseline_max_latency_ms\tattach_max_latency_ms\trequests"
                + "\tfailed\tload1_before\tload1_after\tforeign_cores\tkept";
        Files.write(dir.resolve("attach.tsv"), List.of(columns,
                "netty-server\t17.0.15\tno-op\tyes\t320\tNA\tNA\t0\t11.2\t50.3\t3.6\t123.2\t13996\t0\t0.3\t0.4\t0.01\t1",
                "netty-server\t17.0.15\th2patch\tyes\t1095\t1268\t625\t0\t11.6\t62.3\t1.7\t146.4\t13996\t0\t0.4\t0.5\t0.02\t1",
                "netty-server\t25.0.3\tno-op\tyes\t371\tNA\tNA\t0\t10.9\t18.3\t1.9\t10.2\t13996\t0\t0.8\t0.8\t0.01\t1",
                "netty-server\t25.0.3\th2patch\tyes\t717\t701\t350\t0\t10.6\t23.9\t3.7\t18.2\t13996\t0\t0.8\t0.7\t0.02\t1"));
        Path out = dir.resolve("performance.md");
        Report.write(dir, out);
        String md = Files.readString(out);
        // Java 17: above the target, as the no-op agent on Java 17 is; Java 25's no-op pause is not the excuse
        assertTrue(md.contains("| no client-visible pause > 50 ms during attach | Netty 4.1 (netty-server), Java 17.0.15 | "
                + "longest gap 62.3 ms (baseline 11.6 ms); slowest request 146.4 ms (baseline 1.7 ms); a no-op agent's: "
                + "longest gap 50.3 ms, slowest request 123.2 ms | **missed**, as by any agent on this JVM"), md);
        assertTrue(md.contains("| no client-visible pause > 50 ms during attach | Netty 4.1 (netty-server), Java 25.0.3 | "
                + "longest gap 23.9 ms (baseline 10.6 ms); slowest request 18.2 ms (baseline 3.7 ms); a no-op agent's: "
                + "longest gap 18.3 ms, slowest request 10.2 ms | met |"), md);
        assertTrue(md.contains("| attach to active ≤ 1000 ms | Netty 4.1 (netty-server), Java 25.0.3 | 701 ms (on the wire)"),
                md);
        assertTrue(md.contains("| Netty 4.1 (netty-server) | 25.0.3 | h2patch | yes | 717 | 701 | 350 | 0 |"), md);
        assertTrue(md.contains("| attach section also on | 25.0.3 (/opt/jdk25/bin/java) |"), md);
    }

    @Test
    void judgesPairRatiosAgainstTheControlPairs(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("env.tsv"), List.of("date\t2026-12-05 12:00 UTC", "nproc\t2", "pairs\t2",
                "sections\tpairs", "pairs_at_once\t1", "agent_options\tfixes=end-stream"));
        String head = "pair\tkind\tapp\tside\tworkload\treq_s\tp50_us\tp99_us\tcpu_us_per_req\tapp_cpu_us_per_req"
                + "\tsucceeded\tfailed\tload1_before\tload1_after\tforeign_cores\tkept";
        Files.write(dir.resolve("pairs.tsv"), List.of(head,
                // agent pairs: process CPU B÷A 1.20 and 1.10, application threads 1.04 and 1.02
                "1\tagent\tnetty-server\tA\tplain\t10000\t1000\t2000\t50.00\t40.00\t100000\t0\t0.5\t1.0\t0.02\t1",
                "1\tagent\tnetty-server\tB\tplain\t9500\t1000\t2000\t60.00\t41.60\t95000\t0\t0.5\t1.0\t0.02\t1",
                "2\tagent\tnetty-server\tB\tplain\t9500\t1000\t2000\t55.00\t40.80\t95000\t0\t0.5\t1.0\t0.02\t1",
                "2\tagent\tnetty-server\tA\tplain\t10000\t1000\t2000\t50.00\t40.00\t100000\t0\t0.5\t1.0\t0.02\t1",
                // control pairs: process CPU B÷A 0.95 and 1.05, application threads 0.97 and 1.03
                "1\tcontrol\tnetty-server\tA\tplain\t10000\t1000\t2000\t50.00\t40.00\t100000\t0\t0.5\t1.0\t0.02\t1",
                "1\tcontrol\tnetty-server\tB\tplain\t10000\t1000\t2000\t47.50\t38.80\t100000\t0\t0.5\t1.0\t0.02\t1",
                // a discarded control run does not count
                "2\tcontrol\tnetty-server\tB\tplain\t3000\t1000\t2000\t99.00\t99.00\t30000\t0\t0.5\t1.0\t0.70\t0",
                "2\tcontrol\tnetty-server\tA\tplain\t10000\t1000\t2000\t50.00\t40.00\t100000\t0\t0.5\t1.0\t0.02\t1",
                "2\tcontrol\tnetty-server\tB\tplain\t10000\t1000\t2000\t52.50\t41.20\t100000\t0\t0.5\t1.0\t0.02\t1"));
        Path out = dir.resolve("performance.md");
        Report.write(dir, out);
        String md = Files.readString(out);
        // 1.15 / 1.05 = 1.095 is still above 1.01: the process's CPU is missed beyond the control's spread
        assertTrue(md.contains("| CPU per request ratio ≤ 1.01 | Netty 4.1 (netty-server), plain (no fix needed) | 1.150 "
                + "(1.100–1.200); 2 of 2 pairs kept; both sides without the agent: 1.000 (0.950–1.050) | **missed** |"), md);
        // 1.03 / 0.97 and 1.03 / 1.03: all pairs above the target, but not beyond the control's spread
        assertTrue(md.contains("| CPU per request ratio ≤ 1.01, application threads | Netty 4.1 (netty-server), plain (no "
                + "fix needed) | 1.030 (1.020–1.040); 2 of 2 pairs kept; both sides without the agent: 1.000 (0.970–1.030) "
                + "| not resolved: the median is within the control pairs' spread of the target (both sides without the "
                + "agent: 0.970–1.030) |"), md);
        assertTrue(md.contains("| Netty 4.1 (netty-server) | plain, control: both without | 1.000 (1.000–1.000) | "), md);
        assertTrue(md.contains("### Control pairs: both sides without the agent"), md);
        assertTrue(md.contains("2 of 2 control pairs kept, 1 run(s) discarded and repeated."), md);
        assertTrue(md.contains("**Control pairs.**"), md);
        assertTrue(md.contains("**The agent ran with the options `fixes=end-stream`** (BENCH_AGENT_OPTIONS)"), md);
        assertTrue(md.contains("| 1 | 10000 | 9500 | 0.950 | 1.00 | 1.00 | 1.000 | 2.00 | 2.00 | 1.000 | 50.0 | 60.0 | 1.200 "
                + "| 40.0 | 41.6 | 1.040 | 0/0 |"), md);
    }

    @Test
    void comparesJmhSidesByTheirForkMeans(@TempDir Path dir) throws Exception {
        Path console = dir.resolve("jmh-with.txt");
        Files.write(console, List.of(
                "# Benchmark: dev.h2patch.benchmark.Http2WritePathBenchmark.frameWriterData",
                "# Fork: 1 of 2",
                "# Warmup Iteration   1: 900.000 ns/op",
                "Iteration   1: 200.000 ns/op",
                "                 ·gc.alloc.rate:      100.000 MB/sec",
                "Iteration   2: 210.000 ns/op",
                "# Fork: 2 of 2",
                "Iteration   1: INFO h2patch - end-stream: active for Netty 4.1/4.2",
                "Iteration   2: 260.000 ns/op",
                "# Benchmark: dev.h2patch.benchmark.Http2WritePathBenchmark.headChannelRead",
                "# Fork: 1 of 1",
                "Iteration   1: 40.000 ns/op",
                "# Run complete. Total time: 00:01:00"));
        Map<String, List<Double>> forks = Report.jmhForks(console);
        // fork 1: (200 + 210) / 2; fork 2: only its uncut iteration; the warm-up does not count
        assertEquals(List.of(205.0, 260.0), forks.get("frameWriterData"));
        assertEquals(List.of(40.0), forks.get("headChannelRead"));

        // one side's fork means lie within the other's: the difference of the medians is not told apart from the forks
        assertEquals("12.5 ns/op added (medians of 2 / 2 forks; fork means 205.0–260.0 without, 230.0–260.0 with: they "
                + "overlap, so this is within the fork-to-fork spread)",
                Report.forkNote(List.of(205.0, 260.0), List.of(230.0, 260.0)));
        assertEquals("50.0 ns/op added (medians of 2 / 2 forks; fork means 200.0–210.0 without, 250.0–260.0 with: apart)",
                Report.forkNote(List.of(200.0, 210.0), List.of(250.0, 260.0)));
        assertEquals(null, Report.forkNote(List.of(), List.of(250.0)));
    }

    @Test
    void flagsAnAdvisedMethodThatC2InlinesOnlyWithoutTheAgent() {
        Report.Row lost = new Report.Row(Map.of("app", "netty-server", "method", "A::read", "bytes_without", "9",
                "bytes_with", "558", "decisions_without", "inline (hot) ×2", "decisions_with",
                "callee is too large ×1; hot method too big ×2"));
        Report.Row kept = new Report.Row(Map.of("app", "netty-server", "method", "A::write", "bytes_without", "158",
                "bytes_with", "307", "decisions_without", "inline (hot) ×1", "decisions_with", "inline (hot) ×1"));
        String table = Report.inliningTable(List.of(lost, kept));
        assertTrue(table.contains("| `A::read` | 9 → 558 **(too big for C2 only with the agent)** | inline (hot) ×2 |"),
                table);
        assertTrue(table.contains("| `A::write` | 158 → 307 | inline (hot) ×1 | inline (hot) ×1 |"), table);
    }
}
