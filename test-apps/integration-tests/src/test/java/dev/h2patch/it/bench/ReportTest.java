package dev.h2patch.it.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** docs/performance.md from a small set of raw results: the summary rows and tables come out as before. */
class ReportTest {

    @Test
    void writesTheSummaryFromRawResults(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("env.tsv"), List.of("date\t2026-12-02 23:00 UTC", "nproc\t2", "quick\t1",
                "pairs\t2", "start_epoch\t1000", "end_epoch\t1120", "sections\tpairs,startup,attach", "attach_rps\t250"));
        Files.write(dir.resolve("pairs.tsv"), List.of(
                "pair\tapp\tside\tworkload\treq_s\tp50_us\tp99_us\tcpu_us_per_req\tsucceeded\tfailed\tload1_before"
                        + "\tload1_after",
                "1\tnetty-server\tA\tplain\t10000\t1000\t2000\t50.00\t60000\t0\t0.5\t1.0",
                "1\tnetty-server\tB\tplain\t9000\t1100\t2200\t55.00\t54000\t0\t1.0\t1.2",
                "2\tnetty-server\tA\tplain\t10000\t1000\t2000\t50.00\t60000\t0\t0.5\t1.0",
                "2\tnetty-server\tB\tplain\t11000\t900\t1800\t45.00\t66000\t0\t1.0\t1.2"));
        Files.write(dir.resolve("memory.tsv"), List.of(
                "pair\tapp\tside\trss_kb\theap_used_kb\tmetaspace_used_kb\tclass_space_used_kb",
                "1\tnetty-server\tA\t102400\t10240\t20480\t2048",
                "1\tnetty-server\tB\t112640\t14336\t24576\t2560"));
        Files.write(dir.resolve("startup.tsv"), List.of("run\tapp\tside\tms_to_first_200\tload1",
                "1\tnetty-server\tA\t1000\t0.5", "1\tnetty-server\tB\t1250\t0.6"));
        Files.write(dir.resolve("attach.tsv"), List.of("app\tbug_before\tcmd_ms\tactive_ms\tin_target_ms\tattach_exit"
                        + "\tbaseline_max_gap_ms\tattach_max_gap_ms\tbaseline_max_latency_ms\tattach_max_latency_ms"
                        + "\trequests\tfailed\tload1_before\tload1_after",
                "netty-server\tyes\t700\t934\t467\t0\t14.1\t31.3\t5.0\t139.3\t8000\t0\t0.4\t1.5"));
        Path out = dir.resolve("performance.md");
        Report.write(dir, out);
        String md = Files.readString(out);
        assertTrue(md.startsWith("# Performance: what the agent costs\n"), md);
        assertTrue(md.contains("**Quick (smoke) run**"), md);
        // ratios per pair: 0.9 and 1.1 -> median 1.000, spread 0.900–1.100, includes no change
        assertTrue(md.contains("| throughput ratio ≥ 0.99 | Netty 4.1 (netty-server), plain (no fix needed) | "
                + "1.000 (0.900–1.100) | met (the spread includes no change) |"), md);
        assertTrue(md.contains("| heap + metaspace overhead ≤ 16 MB | Netty 4.1 (netty-server) | 8.0 (8.0–8.0) MB "
                + "(RSS: 10.0 (10.0–10.0) MB) | met |"), md);
        assertTrue(md.contains("| start-up overhead ≤ 300 ms | Netty 4.1 (netty-server) | 250 (250–250) ms | met |"), md);
        assertTrue(md.contains("| attach to active ≤ 1000 ms | Netty 4.1 (netty-server) | 934 ms (on the wire); in the "
                + "target 467 ms | met |"), md);
        assertTrue(md.contains("| no client-visible pause > 50 ms during attach | Netty 4.1 (netty-server) | longest gap "
                + "31.3 ms (baseline 14.1 ms); slowest request 139.3 ms (baseline 5.0 ms) | **missed** |"), md);
        assertTrue(md.contains("| sections run, wall time | pairs,startup,attach, 2.0 minutes |"), md);
    }
}
