package dev.h2patch.it.bench;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The tools' output as the benchmark reads it, on output recorded from h2load, jcmd and /proc on this machine. */
class ToolOutputTest {

    static final String H2LOAD = """
            starting benchmark...
            spawning thread #0: 8 total client(s). 0 total requests
            Application protocol: h2c
            progress: 10% done

            finished in 6.00s, 13598.50 req/s, 1.04MB/s
            requests: 81591 total, 81847 started, 81591 done, 81591 succeeded, 0 failed, 0 errored, 0 timeout
            status codes: 81591 2xx, 0 3xx, 0 4xx, 0 5xx
            traffic: 6.24MB (6545226) total, 1.09MB (1145818) headers (space savings 94.86%), 478.07KB (489546) data
            """;

    @Test
    void h2loadSummary() {
        assertEquals("13598.50", ToolOutput.h2loadReqPerSec(H2LOAD));
        assertArrayEquals(new String[] {"81591", "0"}, ToolOutput.h2loadRequests(H2LOAD));
        assertEquals("", ToolOutput.h2loadReqPerSec("connect failed"));
        assertArrayEquals(new String[] {"", ""}, ToolOutput.h2loadRequests("connect failed"));
    }

    @Test
    void h2loadLogPercentiles() {
        List<ToolOutput.Request> log = ToolOutput.h2loadLog(List.of(
                "1796240000000000\t200\t900", "1796240000000100\t200\t300", "1796240000000200\t200\t100",
                "garbage", "1796240000000300\t200\t200"));
        assertEquals(4, log.size());
        // sorted: 100 200 300 900; p50 rank round(2.0) = 2 -> 200; p99 rank round(3.96) = 4 -> 900
        assertArrayEquals(new String[] {"200", "900"}, ToolOutput.latencyPercentiles(log));
        assertArrayEquals(new String[] {"NA", "NA"}, ToolOutput.latencyPercentiles(List.of()));
    }

    @Test
    void attachWindows() {
        long t = 1_000_000_000L;
        // completions (start + duration): baseline window (t, t + 10 ms], attach window (t + 10 ms, t + 100 ms]
        List<ToolOutput.Request> log = List.of(
                new ToolOutput.Request(t, 200, 1_000),           // ends t+1 ms
                new ToolOutput.Request(t + 2_000, 200, 2_000),   // ends t+4 ms: gap 3 ms (baseline)
                new ToolOutput.Request(t + 5_000, 200, 1_000),   // ends t+6 ms: gap 2 ms
                new ToolOutput.Request(t + 11_000, 200, 40_000), // ends t+51 ms: gap 45 ms (attach), slowest 40 ms
                new ToolOutput.Request(t + 52_000, 200, 500));   // ends t+52.5 ms
        assertArrayEquals(new String[] {"3.0", "45.0", "2.0", "40.0"},
                ToolOutput.attachWindows(log, t, t + 10_000, t + 10_000, t + 100_000));
        assertArrayEquals(new String[] {"0.0", "0.0", "0.0", "0.0"},
                ToolOutput.attachWindows(List.of(), t, t + 1, t + 1, t + 2));
    }

    @Test
    void procFiles() {
        String stat = "19430 (java) S 18297 18280 5981 0 -1 4194304 8781 29695 1 58 51 21 96 54 20 0 26 0 1502761 "
                + "9193406464 13089 18446744073709551615";
        assertEquals(72, ToolOutput.cpuTicks(stat));
        assertEquals(72, ToolOutput.cpuTicks(stat.replace("(java)", "(a (b) c)")));
        String compiler = "19433 (C2 CompilerThre) S 18297 18280 5981 0 -1 4194368 0 0 0 0 310 12 0 0 20 0 26 0 1502770 "
                + "9193406464 13089 18446744073709551615";
        assertEquals("C2 CompilerThre", ToolOutput.statName(compiler));
        assertEquals(322, ToolOutput.cpuTicks(compiler));
        assertEquals("a (b) c", ToolOutput.statName(stat.replace("(java)", "(a (b) c)")));
        for (String jvm : List.of("C1 CompilerThre", "C2 CompilerThre", "Sweeper thread", "GC Thread#0", "GC Thread#1",
                "G1 Conc#0", "G1 Main Marker", "G1 Refine#0", "G1 Service", "VM Thread", "VM Periodic Tas")) {
            assertTrue(ToolOutput.isJvmServiceThread(jvm), jvm);
        }
        for (String app : List.of("java", "nioEventLoopGro", "epollEventLoop", "qtp1234567-15", "grpc-default-ex",
                "Finalizer", "h2patch-warmup")) {
            assertFalse(ToolOutput.isJvmServiceThread(app), app);
        }
        assertEquals("123.46", ToolOutput.cpuMicrosPerRequest(1000, 100, 81000));
        assertEquals("0.00", ToolOutput.cpuMicrosPerRequest(1000, 100, 0));
        assertEquals("52644", ToolOutput.vmRssKb("Name:\tjava\nVmPeak:\t 9000 kB\nVmRSS:\t   52644 kB\n"));
        assertEquals("", ToolOutput.vmRssKb("Name:\tjava\n"));
    }

    @Test
    void curlFirstConnection() {
        assertEquals("44.5", ToolOutput.curlFirstByteMs("200 0.000512 0.045012".split(" ")));
        assertEquals("NA", ToolOutput.curlFirstByteMs("000".split(" ")));
    }

    @Test
    void classLoadProfile() {
        List<String> log = List.of(
                "[0.010s] java.lang.Object source: shared objects file",
                "[0.134s] dev.h2patch.Agent source: file:/x/h2patch-agent.jar",
                "[0.142s] dev.h2patch.shaded.org.slf4j.Logger source: file:/x/h2patch-agent.jar",
                "[0.202s] dev.h2patch.testapps.netty.NettyServer source: file:/y/netty-server.jar",
                "[0.215s] dev.h2patch.shaded.net.bytebuddy.pool.TypePool source: file:/x/h2patch-agent.jar",
                "[0.220s] io.netty.channel.ChannelHandler source: file:/y/netty-server.jar",
                "[0.611s] dev.h2patch.shaded.net.bytebuddy.jar.asm.ClassWriter source: file:/x/h2patch-agent.jar",
                "not a class line");
        assertArrayEquals(new long[] {7, 4, 2, 1, 1, 134, 202, 215, 611},
                ToolOutput.classLoadProfile(log, "h2patch-agent.jar", "netty-server.jar"));
        assertArrayEquals(new long[] {1, 0, 0, 0, 0, -1, -1, -1, -1},
                ToolOutput.classLoadProfile(List.of("[0.010s] A source: jrt:/java.base"), "h2patch-agent.jar", "a.jar"));
    }

    @Test
    void readyLine() {
        assertTrue(ToolOutput.isReadyLine("READY 21099"));
        // grpc-server under -XX:+PrintInlining: the JIT's indentation, then the app's line
        assertTrue(ToolOutput.isReadyLine("                                    READY 21099"));
        assertFalse(ToolOutput.isReadyLine("NOTREADY 21099"));
        assertFalse(ToolOutput.isReadyLine("READY"));
        assertFalse(ToolOutput.isReadyLine("  @ 12   io.netty.Foo::bar (5 bytes)   inline (hot)"));
    }

    @Test
    void javaVersion() {
        assertEquals("25.0.3", ToolOutput.javaVersion("openjdk version \"25.0.3\" 2026-04-21 LTS\n"
                + "OpenJDK Runtime Environment Temurin-25.0.3+9 (build 25.0.3+9-LTS)\n"));
        assertEquals("17.0.15", ToolOutput.javaVersion("openjdk version \"17.0.15\" 2025-04-15\n"));
        assertEquals("?", ToolOutput.javaVersion("bash: java: command not found"));
    }

    @Test
    void agentStartLog() {
        List<String> log = List.of(
                "[main] DEBUG h2patch - transformed io.netty.util.concurrent.MultithreadEventExecutorGroup (woven ahead of its load) in 490 ms",
                "DEBUG h2patch - woven ahead of load: 9 class(es) in jdk.internal.loader.ClassLoaders$AppClassLoader@1dbd16a6 in 770 ms",
                "DEBUG h2patch - weaver warmed up in 771 ms (402 ms for the weave of 942 bytes woven and discarded, then the system class loader's 10 advised class(es) woven ahead)",
                "DEBUG h2patch - transformed io.netty.channel.DefaultChannelPipeline$HeadContext (woven ahead of its load) in 3 ms",
                "DEBUG h2patch - transformed io.netty.handler.timeout.IdleStateHandler in 12 ms",
                "DEBUG h2patch - transformed io.netty.handler.timeout.IdleStateHandler (retransformed) in 40 ms",
                "an application line: transformed nothing in 5 ms");
        assertArrayEquals(new long[] {3, 505, 771}, ToolOutput.agentStartLog(log));
        assertArrayEquals(new long[] {0, 0, -1}, ToolOutput.agentStartLog(List.of("READY")));
    }

    @Test
    void transformedClasses() {
        List<String> log = List.of(
                "DEBUG h2patch - transformed io.netty.channel.DefaultChannelPipeline$HeadContext (woven ahead of its load) in 3 ms",
                "DEBUG h2patch - transformed io.netty.handler.timeout.IdleStateHandler (retransformed) in 40 ms",
                // cut by the JIT's output after the name
                "DEBUG h2patch - transformed io.netty.handler.codec.http2.DefaultHttp2FrameWriter                  @ 12",
                "DEBUG h2patch - weaver warmed up in 771 ms",
                "READY 21099");
        assertEquals(Set.of("io.netty.channel.DefaultChannelPipeline$HeadContext",
                "io.netty.handler.timeout.IdleStateHandler", "io.netty.handler.codec.http2.DefaultHttp2FrameWriter"),
                ToolOutput.transformedClasses(log));
    }

    @Test
    void jcmdHeapInfo() {
        String out = """
                19430:
                 garbage-first heap   total 397312K, used 17291K [0x0000000687400000, 0x0000000800000000)
                  region size 4096K, 4 young (16384K), 0 survivors (0K)
                 Metaspace       used 2658K, committed 2880K, reserved 1114112K
                  class space    used 294K, committed 384K, reserved 1048576K
                """;
        assertArrayEquals(new String[] {"17291", "2658", "294"}, ToolOutput.heapInfo(out));
        assertArrayEquals(new String[] {"NA", "NA", "NA"}, ToolOutput.heapInfo("19430:\nNo such process\n"));
    }

    @Test
    void attachCommand() {
        assertEquals("467", ToolOutput.attachInTargetMs("h2patch: attached to 1234; end-stream active in 467 ms\n"));
        assertEquals("NA", ToolOutput.attachInTargetMs("error\nexit 1\n"));
    }

    /** Lines as JDK 17's -XX:+PrintInlining printed them for netty-server with the agent. */
    @Test
    void inliningDecisions() {
        List<String> log = List.of(
                "                              @ 28   io.netty.channel.DefaultChannelPipeline$HeadContext::channelRead (153 bytes)   inline (hot)",
                "                            @ 28   io.netty.channel.DefaultChannelPipeline$HeadContext::channelRead (153 bytes)   callee is too large",
                "!              @ 13   io.netty.handler.codec.http2.DefaultHttp2ConnectionEncoder::writeData (363 bytes)   hot method too big",
                "                @ 1   java.lang.Object::<init> (1 bytes)   inline (hot)",
                "                @ 28   io.netty.channel.DefaultChannelPipeline$HeadContext::channelRead (153 bytes)   inline (hot)",
                "  @ 3   io.netty.buffer.AbstractByteBuf::maxCapacity (6 bytes)   inline",
                "  @ 9   io.netty.buffer.AbstractByteBuf::maxCapacity (5 bytes)   accessor          @ 24   A::b (59 bytes)   inline (hot)",
                "READY 18090");
        Map<String, ToolOutput.Inlined> d = ToolOutput.inliningDecisions(log);
        assertEquals(5, d.size(), d.keySet().toString());
        ToolOutput.Inlined head = d.get("io.netty.channel.DefaultChannelPipeline$HeadContext::channelRead (153 bytes)");
        assertEquals(153, head.bytes);
        assertEquals("io.netty.channel.DefaultChannelPipeline$HeadContext", head.type());
        assertEquals(Map.of("inline (hot)", 2, "callee is too large", 1), head.decisions);
        assertEquals(Map.of("hot method too big", 1),
                d.get("io.netty.handler.codec.http2.DefaultHttp2ConnectionEncoder::writeData (363 bytes)").decisions);
        // overloads are told apart by size; a line cut by another keeps its own decision
        assertEquals(Map.of("accessor", 1), d.get("io.netty.buffer.AbstractByteBuf::maxCapacity (5 bytes)").decisions);
        assertEquals(Map.of("inline", 1), d.get("io.netty.buffer.AbstractByteBuf::maxCapacity (6 bytes)").decisions);
        assertEquals("callee is too large ×1; inline (hot) ×2", Benchmark.decisions(head));
    }

    static int one() {
        return 1; // iconst_1, ireturn: 2 bytes
    }

    static long one(long x) {
        return x + 1L; // lload_0, lconst_1, ladd, lreturn: 4 bytes
    }

    /** The two overloads of {@link #one} in this very class file (its constant pool has a long: two entries). */
    @Test
    void codeLengthsOfTheOverloadsOfAMethod() throws Exception {
        byte[] own;
        try (var in = ToolOutputTest.class.getResourceAsStream("ToolOutputTest.class")) {
            own = in.readAllBytes();
        }
        List<Integer> lengths = ToolOutput.codeLengths(own, "one");
        assertEquals(List.of(2, 4), lengths.stream().sorted().toList());
        assertEquals(List.of(), ToolOutput.codeLengths(own, "none"));
    }
}
