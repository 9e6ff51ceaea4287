#!/usr/bin/env bash
# The interop suite and the version matrix (issue 8). Regenerates docs/interop.md and/or docs/compatibility.md.
#
#   bash test-apps/interop/run-interop.sh --quick     # the catalog's quick apps, all peers, h2spec on its
#                                                     # h2spec-quick apps (CI)
#   bash test-apps/interop/run-interop.sh --full      # every app, every peer, h2spec on every app, and the full
#                                                     # version matrix (docs/compatibility.md)
#   bash test-apps/interop/run-interop.sh --matrix    # only the version matrix
#   extra arguments go to the driver, e.g. --apps netty-server --h2spec-apps ""  (a small run while developing)
#                                                     # --tls-apps a,b: the apps that also run over TLS (default: the
#                                                     # run's apps with the catalog's tls connector; "" = none)
#   INTEROP_SKIP_BUILD=1 ...                          # reuse the built agent and apps if none is stale
#
# Builds the agent and the apps (test-apps/lib.sh: mvn -B -q -DskipTests package) unless INTEROP_SKIP_BUILD=1 and no
# jar is older than its sources, installs the peers when missing (install-peers.sh), then runs
# dev.h2patch.it.interop.InteropSuite / CompatibilityMatrix with the integration-tests module's class path. The apps
# come from test-apps/catalog.txt (roles quick and h2spec-quick). Exit status 1 = a regression (a claimed fix that did
# not work, or a result worse with the agent); a peer that cannot run is recorded as "peer unavailable" and does not
# fail the run.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
h2p_name=run-interop
source "$here/../lib.sh"
cd "$h2p_root"

mode=--quick
if [[ $# -gt 0 && ( "$1" == --quick || "$1" == --full || "$1" == --matrix ) ]]; then mode="$1"; shift; fi

# INTEROP_SKIP_BUILD=1 (CI, right after mvn verify) skips the build only while every jar is newer than all of its
# sources (h2p_stale_jar); the Java drivers check again and refuse stale jars.
if [[ "${INTEROP_SKIP_BUILD:-}" == 1 ]] && stale=$(h2p_stale_jar) && [[ -n $stale ]]; then
  echo "run-interop: INTEROP_SKIP_BUILD=1 but $stale: building anyway"
  INTEROP_SKIP_BUILD=0
fi
if [[ "${INTEROP_SKIP_BUILD:-}" != 1 ]]; then
  h2p_build
fi
"$here/install-peers.sh" || echo "run-interop: some peers are missing; their rows will say 'peer unavailable'" >&2

cp="$(h2p_classpath)"
cmd="bash test-apps/interop/run-interop.sh $mode${*:+ $*}"
rc=0
case "$mode" in
  --quick) "$h2p_java" -cp "$cp" dev.h2patch.it.interop.InteropSuite --quick --command "$cmd" "$@" || rc=$? ;;
  --full)
    "$h2p_java" -cp "$cp" dev.h2patch.it.interop.InteropSuite --full --command "$cmd" "$@" || rc=$?
    "$h2p_java" -cp "$cp" dev.h2patch.it.interop.CompatibilityMatrix --command "$cmd" || rc=$? ;;
  --matrix) "$h2p_java" -cp "$cp" dev.h2patch.it.interop.CompatibilityMatrix --command "$cmd" "$@" || rc=$? ;;
esac
exit $rc
