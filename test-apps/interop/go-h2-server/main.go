// go-h2-server: HTTP/2 servers written in Go, for the probe's tests (ProbeTest, docs/probe.md): servers nobody here
// wrote, with Go's own HTTP/2 stack.
//
//	-mode http  golang.org/x/net/http2 behind h2c.NewHandler (h2c, prior knowledge): every request is answered with
//	            200 "hello from go\n" without reading its body
//	-mode grpc  a grpc-go server with no services (grpc.NewServer().Serve): every method is UNIMPLEMENTED
//
// Flags: -listen 127.0.0.1:0. Prints "READY <port>" on stdout once it listens.
// Built offline in GOPATH mode from Debian's Go sources (test-apps/interop/install-peers.sh).
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/h2c"
	"google.golang.org/grpc"
)

func main() {
	mode := flag.String("mode", "http", "http | grpc")
	listen := flag.String("listen", "127.0.0.1:0", "listen address")
	flag.Parse()
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintf(os.Stderr, "go-h2-server: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("READY %d\n", l.Addr().(*net.TCPAddr).Port)
	switch *mode {
	case "http":
		h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("content-type", "text/plain")
			w.Write([]byte("hello from go\n"))
		})
		err = http.Serve(l, h2c.NewHandler(h, &http2.Server{}))
	case "grpc":
		err = grpc.NewServer().Serve(l)
	default:
		err = fmt.Errorf("unknown -mode %q", *mode)
	}
	fmt.Fprintf(os.Stderr, "go-h2-server: %v\n", err)
	os.Exit(1)
}
