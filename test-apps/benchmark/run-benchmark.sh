#!/usr/bin/env bash
# What the agent costs (issue 9). One command, from the repository root:
#
#   bash test-apps/benchmark/run-benchmark.sh [--pairs N] [--quick] [--only SECTIONS] [--doc FILE] [--out DIR]
#                                             [--build | --skip-build]   (default: build only what is missing)
#
# Sections (all by default; --only takes a comma list):
#   pairs    each app of the catalog's role benchmark (test-apps/catalog.txt) started twice, without (A) and with (B)
#            -javaagent, on two ports, and both driven at the same time (--pairs N, default 5; the two runs of a pair
#            share the machine's drift), each by its own h2load with a plain workload that needs no change (GET
#            /hello, 200 with a body; on grpc-server, which has no /hello, a unary gRPC Echo) and a gRPC-shaped
#            Trailers-Only workload (POST /h2patch.Test/Fail, content-type application/grpc, 5-byte body): req/s,
#            p50/p99 latency (from h2load's per-request --log-file), server CPU time per request (/proc/PID/stat),
#            RSS, heap after a full GC and metaspace (jcmd GC.run + GC.heap_info); the CPU time also for the
#            application threads alone (/proc/PID/task/*/stat, without the JIT's, GC's and VM threads). After each
#            pair, a control pair of the same app on the plain workload with neither side running the agent: the
#            spread of B÷A when nothing differs, which a verdict on a ratio must clear
#   startup  JVM start to the first 200 on /hello (grpc-server: Echo), without and with -javaagent, alternating, N each (at least 5)
#   attach   `h2patch-agent.jar attach PID` while h2load drives the plain workload at a fixed rate: command start to the fix
#            active on the wire (a Trailers-Only answer in one HEADERS frame with END_STREAM, polled with nghttp),
#            and the longest gap between consecutive completed requests the client saw, baseline vs. attach window;
#            before it, in a fresh JVM, the same with a no-op agent retransforming one class: the JVM's own pause
#   inlining each app once without and once with -javaagent under -XX:+PrintInlining, driven by the plain workload:
#            for every method whose bytecode size the agent changed (its advice), the size and C2's/C1's inlining
#            decisions on both sides (a per-request method pushed past C2's FreqInlineSize is no longer inlined)
#   jmh      the JMH microbenchmarks (test-apps/benchmark/jmh) of the hot advice paths, without and with the agent,
#            -prof gc: ns/op and B/op
#
# Raw results go to test-apps/benchmark/target/results/ (one TSV per section, the h2load outputs, the JMH CSVs);
# docs/performance.md is then regenerated from them (no figure is typed by hand). --quick (2 pairs, short runs, 2
# start-ups per side, short JMH) writes test-apps/benchmark/target/performance-quick.md instead, unless --doc says
# otherwise; it is a smoke run, its figures mean little.
#
# This script only builds what is missing (test-apps/lib.sh) and runs the driver, dev.h2patch.it.bench.Benchmark
# (test-apps/integration-tests); the measuring, the arithmetic (dev.h2patch.it.bench.Stats, ToolOutput, Targets) and
# the report (dev.h2patch.it.bench.Report) are Java, unit-tested.
#
# Needs: a JDK 17+ (java, jcmd), Maven (to build), h2load, nghttp and curl (Debian: nghttp2-client, curl).
# Tunables (environment): BENCH_WARM_S (10), BENCH_MEASURE_S (10), BENCH_CONNS (8), BENCH_STREAMS (32), BENCH_APPS,
# BENCH_JVM_FLAGS ("-Xms256m -Xmx256m -XX:+UseG1GC"), BENCH_ATTACH_RPS (per connection, 4 connections; 250),
# BENCH_JMH_ARGS, BENCH_MAX_FOREIGN_CPU (0.10), BENCH_RETRIES (2), BENCH_QUIET_WAIT_S (120), BENCH_AGENT_OPTIONS (the
# agent's options in the -javaagent runs, e.g. "fixes=end-stream" to measure one fix alone; none by default),
# BENCH_ATTACH_JAVA_HOMES (JDK homes, space-separated, on which the attach section runs again; none by default).
#
# A busy machine does not judge: before each measured run the driver waits until processes other than its own use at
# most BENCH_MAX_FOREIGN_CPU cores (/proc/stat, less the server's and the driver's ticks); a run whose own window had
# more is kept in the raw TSVs as discarded (kept=0) and repeated up to BENCH_RETRIES times. Verdicts use kept runs
# only: met (every pair meets the target), missed (none does), not resolved (they fall on both sides of it). With
# control pairs, met or missed also needs the median ratio to clear the target by the control pairs' spread.
set -euo pipefail
h2p_name=bench
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

build=missing
args=()
while (($#)); do
  case "$1" in
    --skip-build) build=never; shift ;;
    --build) build=always; shift ;;
    -h|--help) sed -n '2,49p' "${BASH_SOURCE[0]}"; exit 0 ;;
    --pairs|--only|--doc|--out) args+=("$1" "$2"); shift 2 ;;
    --quick) args+=("$1"); shift ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

missing=0
for f in "$H2P_AGENT_JAR" "$h2p_root/test-apps/benchmark/jmh/target/benchmark-jmh.jar"; do [[ -f $f ]] || missing=1; done
for app in ${BENCH_APPS:-$(h2p_catalog_apps benchmark)}; do [[ -f $(h2p_app_jar "$app") ]] || missing=1; done
if ((missing)) && [[ $build == never ]]; then echo "bench: jars missing and --skip-build given" >&2; exit 2; fi
if ((missing)) || [[ $build == always ]]; then h2p_build; fi

cp="$(h2p_classpath)"
cd "$h2p_root"
exec "$h2p_java" -cp "$cp" dev.h2patch.it.bench.Benchmark ${args[@]+"${args[@]}"}
