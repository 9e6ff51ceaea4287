#!/usr/bin/env bash
# Builds the grpc-go interop client (test-apps/interop/grpc-go-client) into test-apps/interop/target/grpc-go-client,
# offline, in GOPATH mode, from Debian's packages: golang-go (Go 1.19) and golang-google-grpc-dev (grpc-go 1.33,
# sources under /usr/share/gocode/src). Installs them with apt-get when they are missing (needs root).
# The integration tests skip the grpc-go checks, with a message, when the binary is not there.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/target/grpc-go-client"

if ! command -v go >/dev/null 2>&1 || [ ! -d /usr/share/gocode/src/google.golang.org/grpc ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "build-grpc-go-client: need golang-go and golang-google-grpc-dev; run as root or install them" >&2
    exit 1
  fi
  echo "build-grpc-go-client: installing golang-go golang-google-grpc-dev"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go golang-google-grpc-dev
fi

mkdir -p "$here/target"
gocache="$(mktemp -d "${TMPDIR:-/tmp}/h2patch-gocache.XXXXXX")"
trap 'rm -rf "$gocache"' EXIT
# GOPATH mode must be run from inside the package's folder: an absolute import path does not resolve.
cd "$here/grpc-go-client"
GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off GOFLAGS= GOCACHE="$gocache" go build -o "$out" .
echo "build-grpc-go-client: built $out ($(go version | awk '{print $3}'))"
