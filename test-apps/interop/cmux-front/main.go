// cmux-front: Go's cmux (github.com/soheilhy/cmux, Debian's golang-github-soheilhy-cmux-dev) as a port sniffer in
// front of a test app, the set-up of seed 000: cmux reads the client's bytes until its matcher decides, then hands
// the connection (bytes replayed) to a TCP relay to the Java backend.
//
//	-match grpc-header           cmux.HTTP2HeaderField("content-type", "application/grpc"): waits for the client's
//	                             HEADERS and writes nothing meanwhile (the seed's configuration)
//	-match grpc-header-settings  cmux.HTTP2MatchHeaderFieldSendSettings(...) via MatchWithWriters: cmux itself answers
//	                             with a SETTINGS frame while it waits (cmux's documented work-around)
//	-match http2                 cmux.HTTP2(): matches on the client preface alone
//
// Flags: -listen 127.0.0.1:0, -backend 127.0.0.1:PORT. Prints "READY <port>" on stdout once it listens.
// Built offline in GOPATH mode (test-apps/interop/install-peers.sh).
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"

	"github.com/soheilhy/cmux"
)

func relay(c net.Conn, backend string) {
	defer c.Close()
	b, err := net.Dial("tcp", backend)
	if err != nil {
		fmt.Fprintf(os.Stderr, "cmux-front: dial %s: %v\n", backend, err)
		return
	}
	defer b.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(b, c); b.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(c, b); done <- struct{}{} }()
	<-done
	<-done
}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "listen address")
	backend := flag.String("backend", "", "backend host:port")
	match := flag.String("match", "grpc-header", "grpc-header | grpc-header-settings | http2")
	flag.Parse()
	l, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	m := cmux.New(l)
	var grpcL net.Listener
	switch *match {
	case "grpc-header":
		grpcL = m.Match(cmux.HTTP2HeaderField("content-type", "application/grpc"))
	case "grpc-header-settings":
		grpcL = m.MatchWithWriters(cmux.HTTP2MatchHeaderFieldSendSettings("content-type", "application/grpc"))
	case "http2":
		grpcL = m.Match(cmux.HTTP2())
	default:
		fmt.Fprintf(os.Stderr, "unknown -match %q\n", *match)
		os.Exit(64)
	}
	other := m.Match(cmux.Any())
	go func() {
		for {
			c, err := grpcL.Accept()
			if err != nil {
				return
			}
			go relay(c, *backend)
		}
	}()
	go func() {
		for {
			c, err := other.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	fmt.Printf("READY %d\n", l.Addr().(*net.TCPAddr).Port)
	os.Stdout.Sync()
	m.Serve()
}
