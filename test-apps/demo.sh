#!/usr/bin/env bash
# h2patch demo: a Netty gRPC server whose error status gets lost (HEADERS without END_STREAM + empty DATA),
# called by a real grpc-java client, without and then with the agent (-javaagent). The app is the catalog's demo app
# (test-apps/catalog.txt, role demo). Prints the frames of both runs side by side and a verdict; exits 0 when the
# agent fixed the call.
#
#   bash test-apps/demo.sh                         # from the repo root (any directory works)
#   bash test-apps/demo.sh --app netty42-server    # or grpc-shaded-netty-server
#   bash test-apps/demo.sh --java /usr/lib/jvm/temurin-25-jdk-amd64/bin/java   # run the servers on another JDK
#   DEMO_SKIP_BUILD=1 bash test-apps/demo.sh                           # reuse what is already built
set -euo pipefail
h2p_name=demo
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if [[ "${DEMO_SKIP_BUILD:-}" != "1" ]]; then
  h2p_build
  echo
fi
cp="$(h2p_classpath)"
cd "$h2p_root"
exec "$h2p_java" -cp "$cp" dev.h2patch.it.Demo "$@"
