#!/usr/bin/env bash
# h2patch demo: a Netty gRPC server whose error status gets lost (HEADERS without END_STREAM + empty DATA),
# called by a real grpc-java client, without and then with -javaagent:agent/dist/target/h2patch-agent.jar.
# Prints the frames of both runs side by side and a verdict; exits 0 when the agent fixed the call.
#
#   bash test-apps/demo.sh                         # from the repo root (any directory works)
#   bash test-apps/demo.sh --app netty42-server    # or grpc-shaded-netty-server
#   bash test-apps/demo.sh --java /usr/lib/jvm/temurin-25-jdk-amd64/bin/java   # run the servers on another JDK
#   DEMO_SKIP_BUILD=1 bash test-apps/demo.sh                           # reuse what is already built
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# Runs mvn quietly; shows its output only when it fails (Maven's -q still prints terminal escape codes).
quiet_mvn() {
  local log
  log="$(mktemp)"
  if ! mvn -B -q "$@" >"$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    echo "demo: mvn $* failed" >&2
    exit 1
  fi
  rm -f "$log"
}

if [[ "${DEMO_SKIP_BUILD:-}" != "1" ]]; then
  echo "==> building the agent and the test apps (mvn -B -q -DskipTests package; takes a minute the first time)"
  quiet_mvn -DskipTests package
  echo
fi

module="$root/test-apps/integration-tests"
cpfile="$module/target/demo-classpath.txt"
if [[ ! -s "$cpfile" || "$module/pom.xml" -nt "$cpfile" ]]; then
  quiet_mvn -f "$module/pom.xml" dependency:build-classpath -Dmdep.outputFile="$cpfile"
fi

exec "$java_bin" -cp "$module/target/classes:$(cat "$cpfile")" dev.h2patch.it.Demo "$@"
