#!/usr/bin/env bash
# The interop suite and the version matrix (issue 8). Regenerates docs/interop.md and/or docs/compatibility.md.
#
#   bash test-apps/interop/run-interop.sh --quick     # newest versions: 6 apps, all peers, h2spec on 2 apps (CI)
#   bash test-apps/interop/run-interop.sh --full      # every app, every peer, h2spec on every app, and the full
#                                                     # version matrix (docs/compatibility.md)
#   bash test-apps/interop/run-interop.sh --matrix    # only the version matrix
#   extra arguments go to the driver, e.g. --apps netty-server --h2spec-apps ""  (a small run while developing)
#   INTEROP_SKIP_BUILD=1 ...                          # reuse the built agent and apps if none is stale
#
# Builds the agent and the apps (mvn -B -q -DskipTests package) unless INTEROP_SKIP_BUILD=1 and no jar is older than
# its sources, installs the peers
# when missing (install-peers.sh), then runs dev.h2patch.it.interop.InteropSuite / CompatibilityMatrix with the
# integration-tests module's class path. Exit status 1 = a regression (a claimed fix that did not work, or a result
# worse with the agent); a peer that cannot run is recorded as "peer unavailable" and does not fail the run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"

mode=--quick
if [[ $# -gt 0 && ( "$1" == --quick || "$1" == --full || "$1" == --matrix ) ]]; then mode="$1"; shift; fi

quiet_mvn() {
  local log; log="$(mktemp)"
  if ! mvn -B -q "$@" >"$log" 2>&1; then cat "$log" >&2; rm -f "$log"; echo "run-interop: mvn $* failed" >&2; exit 1; fi
  rm -f "$log"
}
# Stale jars test old code (a netty4177-server jar built before /slow existed once read as a regression), so the
# agent and the apps are always built; INTEROP_SKIP_BUILD=1 (CI, right after mvn verify) skips that only while every
# jar is newer than all of its sources (the module's src/ and pom.xml, sources borrowed from another module, the
# parent pom; the agent: everything under agent/). The Java drivers check again and refuse stale jars.
stale_jar() { # prints the first jar older than its sources, or nothing
  local jar newer
  jar=agent/dist/target/h2patch-agent.jar
  if [[ ! -f $jar ]]; then echo "$jar (missing)"; return; fi
  newer=$(find agent -name target -prune -o -type f -newer "$jar" -print -quit)
  if [[ -n $newer ]]; then echo "$jar (older than $newer)"; return; fi
  local dir m srcs
  for m in $(sed -n 's#.*<module>\([^<]*\)</module>.*#\1#p' test-apps/pom.xml); do
    dir=test-apps/$m
    [[ $m == benchmark/* ]] && continue # JMH benchmarks (test-apps/benchmark): not an app, not used here
    [[ -d $dir/src ]] || continue
    jar=$dir/target/$m.jar
    if [[ ! -f $jar ]]; then echo "$jar (missing)"; return; fi
    srcs=("$dir/src" "$dir/pom.xml" test-apps/pom.xml)
    for b in $(grep -o '<source>${project.basedir}/\.\./[A-Za-z0-9._-]*/' "$dir/pom.xml" | sed 's#.*/\.\./##; s#/$##'); do
      srcs+=("test-apps/$b/src")
    done
    newer=$(find "${srcs[@]}" -type f -newer "$jar" -print -quit)
    if [[ -n $newer ]]; then echo "$jar (older than $newer)"; return; fi
  done
}
if [[ "${INTEROP_SKIP_BUILD:-}" == 1 ]] && stale=$(stale_jar) && [[ -n $stale ]]; then
  echo "run-interop: INTEROP_SKIP_BUILD=1 but $stale: building anyway"
  INTEROP_SKIP_BUILD=0
fi
if [[ "${INTEROP_SKIP_BUILD:-}" != 1 ]]; then
  echo "run-interop: building the agent and the test apps"
  quiet_mvn -DskipTests package
fi
"$here/install-peers.sh" || echo "run-interop: some peers are missing; their rows will say 'peer unavailable'" >&2

module="$root/test-apps/integration-tests"
cpfile="$module/target/demo-classpath.txt"
if [[ ! -s "$cpfile" || "$module/pom.xml" -nt "$cpfile" ]]; then
  quiet_mvn -f "$module/pom.xml" dependency:build-classpath -Dmdep.outputFile="$cpfile"
fi
cp="$module/target/classes:$(cat "$cpfile")"
cmd="bash test-apps/interop/run-interop.sh $mode${*:+ $*}"
rc=0
case "$mode" in
  --quick) "$java_bin" -cp "$cp" dev.h2patch.it.interop.InteropSuite --quick --command "$cmd" "$@" || rc=$? ;;
  --full)
    "$java_bin" -cp "$cp" dev.h2patch.it.interop.InteropSuite --full --command "$cmd" "$@" || rc=$?
    "$java_bin" -cp "$cp" dev.h2patch.it.interop.CompatibilityMatrix --command "$cmd" || rc=$? ;;
  --matrix) "$java_bin" -cp "$cp" dev.h2patch.it.interop.CompatibilityMatrix --command "$cmd" "$@" || rc=$? ;;
esac
exit $rc
