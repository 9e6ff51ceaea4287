#!/usr/bin/env bash
# What the agent costs (issue 9). One command, from the repository root:
#
#   bash test-apps/benchmark/run-benchmark.sh [--pairs N] [--quick] [--only SECTIONS] [--doc FILE] [--out DIR]
#                                             [--build | --skip-build]   (default: build only what is missing)
#
# Sections (all by default; --only takes a comma list):
#   pairs    each app (netty-server, grpc-server, jetty121-server, jetty94-server) started without (A) and with (B)
#            -javaagent, in alternating paired runs A B A B ... (--pairs N, default 5), each driven by h2load with a
#            plain workload that needs no change (GET /hello, 200 with a body; on grpc-server, which has no /hello,
#            a unary gRPC Echo) and a gRPC-shaped Trailers-Only workload (POST
#            /h2patch.Test/Fail, content-type application/grpc, 5-byte body): req/s, p50/p99 latency (from h2load's
#            per-request --log-file), server CPU time per request (/proc/PID/stat), RSS, heap after a full GC and
#            metaspace (jcmd GC.run + GC.heap_info)
#   startup  JVM start to the first 200 on /hello (grpc-server: Echo), without and with -javaagent, alternating, N each (at least 5)
#   attach   `h2patch-agent.jar attach PID` while h2load drives the plain workload at a fixed rate: command start to the fix
#            active on the wire (a Trailers-Only answer in one HEADERS frame with END_STREAM, polled with nghttp),
#            and the longest gap between consecutive completed requests the client saw, baseline vs. attach window
#   jmh      the JMH microbenchmarks (test-apps/benchmark/jmh) of the hot advice paths, without and with the agent,
#            -prof gc: ns/op and B/op
#
# Raw results go to test-apps/benchmark/target/results/ (one TSV per section, the h2load outputs, the JMH CSVs);
# docs/performance.md is then regenerated from them by test-apps/benchmark/Report.java (no figure is typed by
# hand). --quick (2 pairs, short runs, 2 start-ups per side, short JMH) writes test-apps/benchmark/target/
# performance-quick.md instead, unless --doc says otherwise; it is a smoke run, its figures mean little.
#
# Needs: a JDK 17+ (java, jcmd), Maven (to build), h2load, nghttp and curl (Debian: nghttp2-client, curl).
# Tunables (environment): BENCH_WARM_S, BENCH_MEASURE_S, BENCH_CONNS (8), BENCH_STREAMS (32), BENCH_APPS,
# BENCH_JVM_FLAGS ("-Xms256m -Xmx256m -XX:+UseG1GC"), BENCH_ATTACH_RPS (per connection, 4 connections; 250),
# BENCH_JMH_ARGS.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BENCH=$ROOT/test-apps/benchmark
AGENT=$ROOT/agent/dist/target/h2patch-agent.jar
JMH_JAR=$BENCH/jmh/target/benchmark-jmh.jar
OUT=$BENCH/target/results

PAIRS=5
PAIRS_SET=0
QUICK=0
ONLY=pairs,startup,attach,jmh
DOC=
SKIP_BUILD=0
BUILD=0
while (($#)); do
  case "$1" in
    --pairs) PAIRS=$2; PAIRS_SET=1; shift 2 ;;
    --quick) QUICK=1; shift ;;
    --only) ONLY=$2; shift 2 ;;
    --doc) DOC=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --skip-build) SKIP_BUILD=1; shift ;;
    --build) BUILD=1; shift ;;
    -h|--help) sed -n '2,30p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done

if ((QUICK)); then
  ((PAIRS_SET)) || PAIRS=2
  WARM_S=${BENCH_WARM_S:-1}
  MEASURE_S=${BENCH_MEASURE_S:-2}
  STARTUPS=2
  JMH_ARGS=${BENCH_JMH_ARGS:--wi 1 -i 2 -w 1s -r 1s -f 1}
  DOC=${DOC:-$BENCH/target/performance-quick.md}
else
  WARM_S=${BENCH_WARM_S:-2}
  MEASURE_S=${BENCH_MEASURE_S:-6}
  STARTUPS=$((PAIRS < 5 ? 5 : PAIRS))
  JMH_ARGS=${BENCH_JMH_ARGS:--wi 3 -i 5 -w 1s -r 1s -f 2}
  DOC=${DOC:-$ROOT/docs/performance.md}
fi
CONNS=${BENCH_CONNS:-8}
STREAMS=${BENCH_STREAMS:-32}
APPS=${BENCH_APPS:-netty-server grpc-server jetty121-server jetty94-server}
JVM_FLAGS=${BENCH_JVM_FLAGS:--Xms256m -Xmx256m -XX:+UseG1GC}
ATTACH_RPS=${BENCH_ATTACH_RPS:-250}
CLK_TCK=$(getconf CLK_TCK)

has() { [[ ",$ONLY," == *",$1,"* ]]; }
log() {
  local line; line="$(date +%H:%M:%S) bench: $*"
  echo "$line" >&2
  if [[ -d $OUT ]]; then echo "$line" >> "$OUT/run.log"; fi
}
load1() { cut -d' ' -f1 /proc/loadavg; }
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }

for tool in java jcmd h2load nghttp curl awk; do
  command -v "$tool" >/dev/null || { echo "bench: $tool not found (h2load/nghttp: Debian's nghttp2-client)" >&2; exit 2; }
done

# --- build --------------------------------------------------------------------------------------------------------
missing=0
for f in "$AGENT" "$JMH_JAR"; do [[ -f $f ]] || missing=1; done
for app in $APPS; do [[ -f $ROOT/test-apps/$app/target/$app.jar ]] || missing=1; done
if ((missing)) && ((SKIP_BUILD)); then echo "bench: jars missing and --skip-build given" >&2; exit 2; fi
if ((missing || BUILD)); then
  log "building the agent, the apps and the JMH module (mvn -DskipTests package)"
  (cd "$ROOT" && mvn -B -q -DskipTests package -pl "test-apps/benchmark/jmh,$(printf 'test-apps/%s,' $APPS)agent" -am)
fi

# Only what this script writes is removed (--out may name any folder).
rm -rf "$OUT/raw" "$OUT/jars" "$OUT"/*.tsv "$OUT"/*.csv "$OUT"/*.txt "$OUT"/*.bin "$OUT/run.log"
mkdir -p "$OUT/raw" "$OUT/jars"
# Every run uses copies taken now: the same bytes throughout, even if a build rewrites target/ meanwhile.
cp -p "$AGENT" "$OUT/jars/h2patch-agent.jar"
AGENT=$OUT/jars/h2patch-agent.jar
cp "$JMH_JAR" "$OUT/jars/benchmark-jmh.jar"
JMH_JAR=$OUT/jars/benchmark-jmh.jar
for app in $APPS; do cp "$ROOT/test-apps/$app/target/$app.jar" "$OUT/jars/$app.jar"; done
printf '\0\0\0\0\0' > "$OUT/grpc-request.bin"   # a gRPC message frame: not compressed, length 0
printf '\0\0\0\0\5hello' > "$OUT/grpc-echo.bin"  # a gRPC message frame with 5 bytes

# The machine and the run, for the report.
{
  echo "date	$(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "nproc	$(nproc)"
  echo "cpu	$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
  echo "mem	$(awk '/^MemTotal/ {printf "%.1f GB", $2/1048576}' /proc/meminfo)"
  echo "kernel	$(uname -r)"
  java_v=$(java -version 2>&1); echo "java	$(echo "$java_v" | sed -n 2p)"
  h2load_v=$(h2load --version 2>&1); echo "h2load	${h2load_v%%$'\n'*}"
  echo "pairs	$PAIRS"; echo "quick	$QUICK"; echo "warm_s	$WARM_S"; echo "measure_s	$MEASURE_S"
  echo "conns	$CONNS"; echo "streams	$STREAMS"; echo "jvm_flags	$JVM_FLAGS"; echo "apps	$APPS"
  echo "commit	$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$ROOT" status --porcelain 2>/dev/null | grep -q . && echo ' + uncommitted changes')"
  echo "agent_jar	$(sha256sum "$AGENT" | cut -c1-16) $(date -u -r "$AGENT" '+%Y-%m-%d %H:%M UTC')"
  echo "jmh_args	$JMH_ARGS"; echo "attach_rps	$ATTACH_RPS"; echo "startups	$STARTUPS"
  echo "load_start	$(cat /proc/loadavg)"
  echo "start_epoch	$(date +%s)"
} > "$OUT/env.tsv"

# --- helpers ------------------------------------------------------------------------------------------------------
PORT=21000
SERVER_PID=
next_port() { PORT=$((PORT + 1)); }

# start_app APP SIDE(A|B) LOGFILE: starts it on $PORT, sets SERVER_PID, waits for READY.
start_app() {
  local app=$1 side=$2 logf=$3 agent=()
  [[ $side == B ]] && agent=("-javaagent:$AGENT")
  # shellcheck disable=SC2086
  java $JVM_FLAGS "${agent[@]}" -jar "$OUT/jars/$app.jar" --port "$PORT" >"$logf" 2>&1 &
  SERVER_PID=$!
  local i
  for ((i = 0; i < 600; i++)); do
    grep -q "^READY" "$logf" 2>/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "bench: $app exited: $(tail -3 "$logf")" >&2; return 1; }
    sleep 0.05
  done
  echo "bench: $app not READY after 30 s" >&2; return 1
}

stop_app() {
  [[ -n $SERVER_PID ]] || return 0
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}
trap stop_app EXIT

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# h2load arguments of a workload of an app, into the array WL. plain: a response that needs no change, GET /hello
# (200 with a body); grpc-server has no /hello, so there it is a unary gRPC call (Echo: HEADERS, DATA, trailers).
workload_args() {
  case "$2" in
    plain)
      if [[ $1 == grpc-server ]]; then
        WL=(-d "$OUT/grpc-echo.bin" -H 'content-type: application/grpc' -H 'te: trailers'
            "http://127.0.0.1:$PORT/h2patch.Test/Echo")
      else
        WL=("http://127.0.0.1:$PORT/hello")
      fi ;;
    trailers-only) WL=(-d "$OUT/grpc-request.bin" -H 'content-type: application/grpc' -H 'te: trailers'
                       "http://127.0.0.1:$PORT/h2patch.Test/Fail") ;;
  esac
}

# percentiles LOGFILE -> "p50_us p99_us" of h2load's per-request log (start µs, status, duration µs).
percentiles() {
  cut -f3 "$1" | sort -n | awk '{v[NR] = $1} END {
    if (NR == 0) { print "NA NA"; exit }
    i50 = int(NR * 0.50 + 0.5); if (i50 < 1) i50 = 1
    i99 = int(NR * 0.99 + 0.5); if (i99 < 1) i99 = 1; if (i99 > NR) i99 = NR
    print v[i50], v[i99] }'
}

# --- pairs --------------------------------------------------------------------------------------------------------
if has pairs; then
  echo -e "pair\tapp\tside\tworkload\treq_s\tp50_us\tp99_us\tcpu_us_per_req\tsucceeded\tfailed\tload1_before\tload1_after" > "$OUT/pairs.tsv"
  echo -e "pair\tapp\tside\trss_kb\theap_used_kb\tmetaspace_used_kb\tclass_space_used_kb" > "$OUT/memory.tsv"
  for ((pair = 1; pair <= PAIRS; pair++)); do
    for app in $APPS; do
      for side in A B; do
        next_port
        tag="$app-$pair-$side"
        log "pair $pair/$PAIRS $app $([[ $side == A ]] && echo without || echo with) agent (port $PORT, load $(load1))"
        start_app "$app" "$side" "$OUT/raw/$tag.server.log"
        for workload in plain trailers-only; do
          workload_args "$app" "$workload"
          h2load -c "$CONNS" -m "$STREAMS" -D "$WARM_S" "${WL[@]}" >"$OUT/raw/$tag.$workload.warm.txt" 2>&1
          lb=$(load1); c0=$(cpu_ticks "$SERVER_PID")
          h2load -c "$CONNS" -m "$STREAMS" -D "$MEASURE_S" --log-file "$OUT/raw/req.log" "${WL[@]}" \
            >"$OUT/raw/$tag.$workload.txt" 2>&1
          c1=$(cpu_ticks "$SERVER_PID"); la=$(load1)
          rps=$(awk '/^finished in/ {print $4}' "$OUT/raw/$tag.$workload.txt")
          read -r succeeded failed < <(awk '/^requests:/ {print $8, $10}' "$OUT/raw/$tag.$workload.txt")
          read -r p50 p99 < <(percentiles "$OUT/raw/req.log")
          cpu=$(awk -v t=$((c1 - c0)) -v hz="$CLK_TCK" -v n="$succeeded" 'BEGIN {printf "%.2f", n ? t * 1e6 / hz / n : 0}')
          echo -e "$pair\t$app\t$side\t$workload\t$rps\t$p50\t$p99\t$cpu\t$succeeded\t$failed\t$lb\t$la" >> "$OUT/pairs.tsv"
          rm -f "$OUT/raw/req.log"
        done
        rss=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")
        jcmd "$SERVER_PID" GC.run >/dev/null 2>&1 || true
        jcmd "$SERVER_PID" GC.heap_info >"$OUT/raw/$tag.heap.txt" 2>&1 || true
        read -r heap meta cls < <(awk '
          / total .* used [0-9]+K/ && !h { for (i = 1; i <= NF; i++) if ($i == "used") { h = $(i + 1); sub(/K,?/, "", h) } }
          /Metaspace +used/ { m = $3; sub(/K,?/, "", m) }
          /class space +used/ { c = $4; sub(/K,?/, "", c) }
          END { print (h == "" ? "NA" : h), (m == "" ? "NA" : m), (c == "" ? "NA" : c) }' "$OUT/raw/$tag.heap.txt")
        echo -e "$pair\t$app\t$side\t$rss\t$heap\t$meta\t$cls" >> "$OUT/memory.tsv"
        stop_app
      done
    done
  done
fi

# --- startup ------------------------------------------------------------------------------------------------------
if has startup; then
  echo -e "run\tapp\tside\tms_to_first_200\tload1" > "$OUT/startup.tsv"
  for ((run = 1; run <= STARTUPS; run++)); do
    for app in $APPS; do
      for side in A B; do
        next_port
        agent=()
        [[ $side == B ]] && agent=("-javaagent:$AGENT")
        t0=$(now_us)
        # shellcheck disable=SC2086
        java $JVM_FLAGS "${agent[@]}" -jar "$OUT/jars/$app.jar" --port "$PORT" \
          >"$OUT/raw/startup-$app-$run-$side.log" 2>&1 &
        SERVER_PID=$!
        ms=NA
        poll=(--http2-prior-knowledge "http://127.0.0.1:$PORT/hello")
        [[ $app == grpc-server ]] && poll=(--http2-prior-knowledge --data-binary "@$OUT/grpc-echo.bin"
          -H 'content-type: application/grpc' "http://127.0.0.1:$PORT/h2patch.Test/Echo")
        while (($(now_us) - t0 < 60000000)); do
          code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "${poll[@]}" 2>/dev/null || true)
          if [[ $code == 200 ]]; then ms=$((($(now_us) - t0) / 1000)); break; fi
          kill -0 "$SERVER_PID" 2>/dev/null || break
          sleep 0.005
        done
        echo -e "$run\t$app\t$side\t$ms\t$(load1)" >> "$OUT/startup.tsv"
        log "startup $run/$STARTUPS $app $side: $ms ms"
        stop_app
      done
    done
  done
fi

# --- attach -------------------------------------------------------------------------------------------------------
# fail_frames: the HEADERS/DATA frames nghttp receives for one Trailers-Only call.
fail_frames() {
  nghttp -nv -t 2 -d "$OUT/grpc-request.bin" -H 'content-type: application/grpc' -H 'te: trailers' \
    "http://127.0.0.1:$PORT/h2patch.Test/Fail" 2>/dev/null | grep -E 'recv (HEADERS|DATA) frame' || true
}

if has attach; then
  echo -e "app\tbug_before\tcmd_ms\tactive_ms\tin_target_ms\tattach_exit\tbaseline_max_gap_ms\tattach_max_gap_ms\tbaseline_max_latency_ms\tattach_max_latency_ms\trequests\tfailed\tload1_before\tload1_after" > "$OUT/attach.tsv"
  for app in $APPS; do
    next_port
    tag="attach-$app"
    lb=$(load1)
    start_app "$app" A "$OUT/raw/$tag.server.log"
    workload_args "$app" plain
    h2load -c "$CONNS" -m "$STREAMS" -D "$WARM_S" "${WL[@]}" >/dev/null 2>&1
    fail_frames > "$OUT/raw/$tag.before.txt"
    bug_before=no
    grep -q 'flags=0x04' "$OUT/raw/$tag.before.txt" && grep -q 'recv DATA' "$OUT/raw/$tag.before.txt" && bug_before=yes
    baseline_s=$((QUICK ? 2 : 4))
    total_s=$((baseline_s + (QUICK ? 6 : 10)))
    h2load -c 4 -m 10 --rps "$ATTACH_RPS" -D "$total_s" --log-file "$OUT/raw/$tag.req.log" "${WL[@]}" \
      >"$OUT/raw/$tag.h2load.txt" 2>&1 &
    load_pid=$!
    t_load=$(now_us)
    sleep "$baseline_s"
    t_cmd=$(now_us)
    ( java -jar "$AGENT" attach "$SERVER_PID" >"$OUT/raw/$tag.attach.txt" 2>&1; echo "exit $?" >>"$OUT/raw/$tag.attach.txt"
      now_us >"$OUT/raw/$tag.attach.done" ) &
    attach_pid=$!
    active_ms=NA
    if [[ $bug_before == yes ]]; then
      while (( $(now_us) - t_cmd < 20000000 )); do
        if fail_frames | grep -q 'recv HEADERS.*flags=0x05'; then active_ms=$((($(now_us) - t_cmd) / 1000)); break; fi
        sleep 0.01
      done
    fi
    wait "$attach_pid" || true
    t_done=$(cat "$OUT/raw/$tag.attach.done")
    cmd_ms=$(((t_done - t_cmd) / 1000))
    in_target=$(grep -o 'in [0-9]* ms' "$OUT/raw/$tag.attach.txt" | grep -o '[0-9]*' || echo NA)
    attach_exit=$(awk '/^exit / {print $2}' "$OUT/raw/$tag.attach.txt")
    wait "$load_pid" || true
    la=$(load1)
    # Gaps between consecutive completions (start + duration, µs since epoch) and the slowest request, in the
    # baseline window (1 s after the load starts until the command) and the attach window (command start until
    # 1 s after it returned).
    read -r bgap agap blat alat < <(awk '{ printf "%.0f %.0f %.0f\n", $1 + $3, $1, $3 }' "$OUT/raw/$tag.req.log" | sort -n | awk -v b0=$((t_load + 1000000)) -v b1="$t_cmd" -v a0="$t_cmd" -v a1=$((t_done + 1000000)) '
      { e = $1; if (NR > 1) { g = e - prev; if (e > b0 && e <= b1 && g > bg) bg = g; if (e > a0 && e <= a1 && g > ag) ag = g }
        prev = e
        if ($2 >= b0 && $2 < b1 && $3 > bl) bl = $3
        if ($2 >= a0 && $2 < a1 && $3 > al) al = $3 }
      END { printf "%.1f %.1f %.1f %.1f\n", bg / 1000, ag / 1000, bl / 1000, al / 1000 }')
    read -r succeeded failed < <(awk '/^requests:/ {print $8, $10}' "$OUT/raw/$tag.h2load.txt")
    echo -e "$app\t$bug_before\t$cmd_ms\t$active_ms\t$in_target\t$attach_exit\t$bgap\t$agap\t$blat\t$alat\t$succeeded\t$failed\t$lb\t$la" >> "$OUT/attach.tsv"
    log "attach $app: command $cmd_ms ms, active on the wire $active_ms ms, max gap $bgap ms baseline / $agap ms attach"
    stop_app
  done
fi

# --- jmh ----------------------------------------------------------------------------------------------------------
if has jmh; then
  for side in A B; do
    extra=()
    [[ $side == B ]] && extra=(-jvmArgsAppend "-javaagent:$AGENT")
    name=$([[ $side == A ]] && echo without || echo with)
    log "JMH $name agent ($JMH_ARGS, load $(load1))"
    lb=$(load1)
    # shellcheck disable=SC2086
    java -jar "$JMH_JAR" $JMH_ARGS -prof gc -rf csv -rff "$OUT/jmh-$name.csv" "${extra[@]}" \
      >"$OUT/raw/jmh-$name.txt" 2>&1
    echo -e "$name\t$lb\t$(load1)" >> "$OUT/jmh-load.tsv"
  done
  grep -q 'end-stream: active for Netty' "$OUT/raw/jmh-with.txt" && echo yes > "$OUT/jmh-agent-active.txt" \
    || echo no > "$OUT/jmh-agent-active.txt"
fi

echo "load_end	$(cat /proc/loadavg)" >> "$OUT/env.tsv"
echo "end_epoch	$(date +%s)" >> "$OUT/env.tsv"
echo "sections	$ONLY" >> "$OUT/env.tsv"

# --- report -------------------------------------------------------------------------------------------------------
mkdir -p "$(dirname "$DOC")"
java "$BENCH/Report.java" "$OUT" "$DOC"
log "results in $OUT; report written to $DOC"
