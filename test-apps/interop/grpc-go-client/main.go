// grpc-go-client: the real grpc-go client of seed 000, for the h2patch interop tests.
//
// It dials with grpc.WithBlock, so the dial itself fails when the server never sends its SETTINGS (grpc-go >= 1.18
// waits for them before it sends any request: "timed out waiting for server handshake"), then makes one call:
//
//	-mode health  grpc.health.v1.Health/Check; prints "status=SERVING" (or the error) and exits 0 only on SERVING
//	-mode unary   /h2patch.Test/Fail with raw bytes; prints "code=<code> msg=<message>" and exits 0 when a status
//	              arrived from the server (any code but Unavailable/DeadlineExceeded)
//
// Flags: -addr host:port, -timeout (dial + handshake deadline, default 3s), -mode, -tls (TLS with ALPN h2, any
// certificate accepted: the test apps' key is generated at test time).
// Built offline in GOPATH mode from Debian's golang-google-grpc-dev (see build-grpc-go-client.sh).
package main

import (
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/encoding"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"
)

// rawCodec passes message bytes through unchanged, so no .proto is needed for h2patch.Test.
type rawCodec struct{}

func (rawCodec) Marshal(v interface{}) ([]byte, error) {
	b, ok := v.(*[]byte)
	if !ok {
		return nil, fmt.Errorf("rawCodec: want *[]byte, got %T", v)
	}
	return *b, nil
}

func (rawCodec) Unmarshal(data []byte, v interface{}) error {
	b, ok := v.(*[]byte)
	if !ok {
		return fmt.Errorf("rawCodec: want *[]byte, got %T", v)
	}
	*b = append((*b)[:0], data...)
	return nil
}

func (rawCodec) Name() string { return "h2patch-raw" }

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "server address host:port")
	timeout := flag.Duration("timeout", 3*time.Second, "dial and handshake deadline")
	mode := flag.String("mode", "health", "health | unary")
	useTLS := flag.Bool("tls", false, "TLS (ALPN h2), any server certificate accepted")
	flag.Parse()
	encoding.RegisterCodec(rawCodec{})

	dialCtx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	security := grpc.WithInsecure()
	if *useTLS {
		security = grpc.WithTransportCredentials(credentials.NewTLS(&tls.Config{InsecureSkipVerify: true}))
	}
	conn, err := grpc.DialContext(dialCtx, *addr, security, grpc.WithBlock())
	if err != nil {
		fmt.Printf("dial error: %v\n", err)
		os.Exit(2)
	}
	defer conn.Close()

	callCtx, cancelCall := context.WithTimeout(context.Background(), *timeout)
	defer cancelCall()
	switch *mode {
	case "health":
		resp, err := healthpb.NewHealthClient(conn).Check(callCtx, &healthpb.HealthCheckRequest{})
		if err != nil {
			st, _ := status.FromError(err)
			fmt.Printf("code=%s msg=%q\n", st.Code(), st.Message())
			os.Exit(1)
		}
		fmt.Printf("status=%s\n", resp.GetStatus())
		if resp.GetStatus() != healthpb.HealthCheckResponse_SERVING {
			os.Exit(1)
		}
	case "unary":
		req := []byte{}
		var resp []byte
		err := conn.Invoke(callCtx, "/h2patch.Test/Fail", &req, &resp, grpc.CallContentSubtype("h2patch-raw"))
		st, _ := status.FromError(err)
		fmt.Printf("code=%s msg=%q\n", st.Code(), st.Message())
		if st.Code() == codes.Unavailable || st.Code() == codes.DeadlineExceeded {
			os.Exit(1)
		}
	default:
		fmt.Printf("unknown -mode %q (health | unary)\n", *mode)
		os.Exit(64)
	}
}
