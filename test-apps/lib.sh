# Shared by the test-apps scripts (interop/run-interop.sh, benchmark/run-benchmark.sh, demo.sh): where things are,
# how the jars are built, how the integration-tests class path (the Java drivers) is found. Source it:
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"   (or ./lib.sh from test-apps/)
# then set h2p_name (the prefix of the messages) and call the h2p_* functions. Paths are absolute.
h2p_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The agent jar, as `mvn package` at the root builds it: the one place the scripts name it.
H2P_AGENT_JAR="$h2p_root/agent/dist/target/h2patch-agent.jar"
h2p_java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
h2p_module="$h2p_root/test-apps/integration-tests"
h2p_name="${h2p_name:-h2patch}"

# Runs mvn -B -q from the repo root; shows its output only when it fails (Maven's -q still prints terminal escape
# codes), then exits.
h2p_mvn() {
  local log; log="$(mktemp)"
  if ! (cd "$h2p_root" && mvn -B -q "$@") >"$log" 2>&1; then
    cat "$log" >&2; rm -f "$log"; echo "$h2p_name: mvn $* failed" >&2; exit 1
  fi
  rm -f "$log"
}

# Builds the agent, the test apps, the JMH module and the integration-tests classes: mvn -DskipTests package.
h2p_build() {
  echo "$h2p_name: building the agent and the test apps (mvn -B -q -DskipTests package)"
  h2p_mvn -DskipTests package
}

# The app jar of a test app (test-apps/APP/target/APP.jar, as test-apps/catalog.txt says).
h2p_app_jar() { echo "$h2p_root/test-apps/$1/target/$1.jar"; }

# The apps of test-apps/catalog.txt with ROLE in their roles column (the 7th), in catalog order, one a line. Only for
# the build steps here; the Java drivers read the catalog with dev.h2patch.it.Catalog.
h2p_catalog_apps() {
  awk -v role="$1" '!/^#/ && $1 != "variant" && NF >= 7 && ("," $7 ",") ~ ("," role ",") {print $1}' "$h2p_root/test-apps/catalog.txt"
}

# Prints the first jar older than its sources, or nothing: the agent (everything under agent/) and each test app (its
# src/ and pom.xml, its family's sources (test-apps/pom.xml, family-sources), the parent pom). Stale jars test old code (an
# app jar built before its /slow route existed once read as a regression).
h2p_stale_jar() {
  local jar newer dir m b srcs
  jar=$H2P_AGENT_JAR
  if [[ ! -f $jar ]]; then echo "$jar (missing)"; return; fi
  newer=$(cd "$h2p_root" && find agent -name target -prune -o -type f -newer "$jar" -print -quit)
  if [[ -n $newer ]]; then echo "$jar (older than $newer)"; return; fi
  for m in $(sed -n 's#.*<module>\([^<]*\)</module>.*#\1#p' "$h2p_root/test-apps/pom.xml"); do
    dir=$h2p_root/test-apps/$m
    [[ $m == benchmark/* ]] && continue # JMH benchmarks (test-apps/benchmark): not an app
    [[ -d $dir/src ]] || continue
    jar=$dir/target/$m.jar
    if [[ ! -f $jar ]]; then echo "$jar (missing)"; return; fi
    srcs=("$dir/src" "$dir/pom.xml" "$h2p_root/test-apps/pom.xml")
    for b in $(grep -o '/\.\./[A-Za-z0-9._-]*/src' "$dir/pom.xml" | sed 's#^/\.\./##; s#/src$##' | sort -u); do
      srcs+=("$h2p_root/test-apps/$b/src")
    done
    newer=$(find "${srcs[@]}" -type f -newer "$jar" -print -quit)
    if [[ -n $newer ]]; then echo "$jar (older than $newer)"; return; fi
  done
}

# The class path of the Java drivers (dev.h2patch.it.*): the integration-tests classes and their dependencies. Builds
# the classes when missing (h2p_build) and the dependency list when the module's pom is newer than it.
h2p_classpath() {
  local cpfile="$h2p_module/target/demo-classpath.txt"
  if [[ ! -d $h2p_module/target/classes/dev/h2patch/it ]]; then h2p_build >&2; fi
  if [[ ! -s $cpfile || $h2p_module/pom.xml -nt $cpfile ]]; then
    h2p_mvn -f "$h2p_module/pom.xml" dependency:build-classpath -Dmdep.outputFile="$cpfile"
  fi
  echo "$h2p_module/target/classes:$(cat "$cpfile")"
}
