package dev.h2patch.it.interop;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static dev.h2patch.it.interop.PeerClients.curl;
import static dev.h2patch.it.interop.PeerClients.grpcGo;
import static dev.h2patch.it.interop.PeerClients.grpcJs;
import static dev.h2patch.it.interop.PeerClients.nghttp;
import static dev.h2patch.it.interop.PeerClients.nodeUpload;
import static dev.h2patch.it.interop.PeerClients.viaCmux;
import static dev.h2patch.it.interop.PeerClients.viaHaproxy;

/**
 * The bugs' scenarios of the interop suite and the peers each one uses: how a peer is run against a port, what a
 * healthy result looks like, and what the bug looks like to that peer.
 */
final class Scenarios {
    private Scenarios() {}

    /** One bug: the fix that removes it (its name, and its section in docs/bugs.md), the symptom (the report's
     * section headings). */
    record Bug(String fix, String symptom) {}

    static final List<Bug> BUGS = List.of(
            new Bug("early-settings", "grpc-go behind a port sniffer: \"timed out waiting for server "
                    + "handshake\""),
            new Bug("end-stream", "HEADERS then empty DATA(END_STREAM): \"server closed the stream "
                    + "without sending trailers\""),
            new Bug("connection-state", "shutdown cuts in-flight HTTP/2 streams"),
            new Bug("proxy-safe-reset", "RST_STREAM after a complete response reaches clients behind HAProxy "
                    + "as CANCEL"));

    @FunctionalInterface
    interface Probe {
        String run(int port) throws Exception;
    }

    /**
     * One peer of one scenario: how to run it against a port, what a healthy result looks like, and what the bug's
     * bug looks like to this peer (a result that is neither means the scenario did not happen: inconclusive).
     * {@code gating}: a claimed fix that this peer still sees broken is a regression. {@code note}: the verdict when
     * the bug shows either way for a reason outside the Java server (or null).
     */
    record Peer(String fix, String name, boolean gating, Probe probe, Predicate<String> healthy,
                Predicate<String> bug, String note) {
        Peer(String fix, String name, boolean gating, Probe probe, Predicate<String> healthy,
             Predicate<String> bug) {
            this(fix, name, gating, probe, healthy, bug, null);
        }
    }

    /**
     * The peers that run against one app JVM, which keeps running between them (early-settings, end-stream,
     * proxy-safe-reset). With {@code tls} the app runs in its {@code --tls} mode and every peer speaks TLS with ALPN h2
     * (HAProxy on both of its sides); the cmux rows are h2c only, since a port sniffer in front of TLS sees no HTTP/2.
     */
    static List<Peer> statelessPeers(boolean tls) throws IOException {
        // The peers read these files for as long as the suite runs; they go when its JVM ends.
        Path grpcMsg = Files.createTempFile("h2patch-grpc", ".bin");
        grpcMsg.toFile().deleteOnExit();
        Files.write(grpcMsg, new byte[5]);
        Path upload = Files.createTempFile("h2patch-upload", ".bin");
        upload.toFile().deleteOnExit();
        Files.write(upload, new byte[512 * 1024]);
        Predicate<String> handshake = s -> !s.isBlank() && !s.contains("handshake") && !s.contains("dial error")
                && !s.contains("killed");
        Predicate<String> handshakeBug = s -> s.contains("handshake") || s.contains("dial error");
        Predicate<String> jsHandshake = s -> !s.isBlank() && !s.contains("DEADLINE_EXCEEDED")
                && !s.contains("UNAVAILABLE") && !s.contains("killed");
        Predicate<String> jsHandshakeBug = s -> s.contains("DEADLINE_EXCEEDED");
        Predicate<String> control = s -> false; // a peer that speaks first never shows the early-settings bug
        Predicate<String> rejected = s -> s.contains("grpc-status 7");
        String curl = tls ? "curl --http2 -k https://" : "curl --http2-prior-knowledge";
        String nghttp = tls ? "nghttp -v https://" : "nghttp -v";
        String haproxy = tls ? "HAProxy 2.6 (TLS both sides)" : "HAProxy 2.6";
        List<Peer> peers = new ArrayList<>();
        // early-settings (docs/bugs.md#early-settings)
        peers.add(new Peer("early-settings", "grpc-go 1.33 direct (Health/Check, WithBlock, 3 s)", true,
                port -> grpcGo(port, "health", tls), handshake, handshakeBug));
        if (!tls) {
            peers.add(new Peer("early-settings", "grpc-go 1.33 → cmux 0.1.5 `HTTP2HeaderField` (the reported set-up)",
                    false, port -> viaCmux(port, "grpc-header"), handshake, handshakeBug,
                    "not fixable in the Java server: cmux's `HTTP2HeaderField` matcher (Go) holds the connection "
                            + "until the client's HEADERS, before it connects to the app (cmux needs "
                            + "`MatchWithWriters`)"));
            peers.add(new Peer("early-settings", "grpc-go 1.33 → cmux 0.1.5 `HTTP2()`", false,
                    port -> viaCmux(port, "http2"), handshake, handshakeBug));
        }
        peers.add(new Peer("early-settings", "grpc-js 1.14 direct (Health/Check, 3 s)", false,
                port -> grpcJs(port, "health", 3000, tls), jsHandshake, jsHandshakeBug));
        peers.add(new Peer("early-settings", curl + " GET /hello", false,
                port -> curl(port, "GET", "/hello", null, tls), s -> s.startsWith("HTTP 200"), control));
        // end-stream (docs/bugs.md#end-stream)
        peers.add(new Peer("end-stream", "grpc-go 1.33 direct (/h2patch.Test/Fail)", true,
                port -> grpcGo(port, "unary", tls), s -> s.contains("code=NotFound"),
                s -> s.contains("without sending trailers")));
        peers.add(new Peer("end-stream", "grpc-js 1.14 direct (/h2patch.Test/Fail)", true,
                port -> grpcJs(port, "unary", 3000, tls), s -> s.contains("NOT_FOUND"),
                s -> s.contains("without gRPC status") || s.startsWith("INTERNAL")));
        peers.add(new Peer("end-stream", nghttp + " POST /h2patch.Test/Fail (frames)", true,
                port -> nghttp(port, "/h2patch.Test/Fail", grpcMsg, tls),
                s -> s.contains("HEADERS+ES") && !s.contains("DATA[0]+ES"),
                s -> s.contains("HEADERS, DATA[0]+ES")));
        peers.add(new Peer("end-stream", (tls ? curl : "curl") + " POST /h2patch.Test/Fail", false,
                port -> curl(port, "POST", "/h2patch.Test/Fail", grpcMsg, tls), s -> s.startsWith("HTTP 200"),
                control));
        // proxy-safe-reset (docs/bugs.md#proxy-safe-reset)
        peers.add(new Peer("proxy-safe-reset", haproxy + " → Node http2 (RejectUpload, streams 1 s)", true,
                port -> viaHaproxy(port, p -> nodeUpload(p, 1000, tls), tls),
                s -> rejected.test(s) && s.contains("rst=0"), s -> rejected.test(s) && s.contains("rst=8")));
        peers.add(new Peer("proxy-safe-reset", haproxy + " → grpc-js 1.14 (RejectUpload, streams 1 s)", false,
                port -> viaHaproxy(port, p -> grpcJs(p, "upload", 5000, tls), tls),
                s -> s.contains("PERMISSION_DENIED"), s -> s.startsWith("CANCELLED") || s.startsWith("INTERNAL")));
        peers.add(new Peer("proxy-safe-reset", haproxy + " → nghttp (RejectUpload, 512 KiB upload)", true,
                port -> viaHaproxy(port, p -> nghttp(p, "/h2patch.Test/RejectUpload", upload, tls), tls),
                s -> s.contains("HEADERS+ES") && !s.contains("RST_STREAM(CANCEL)"),
                s -> s.contains("HEADERS+ES") && s.contains("RST_STREAM(CANCEL)")));
        peers.add(new Peer("proxy-safe-reset", "Node http2 direct (RejectUpload, streams 1 s)", false,
                port -> nodeUpload(port, 1000, tls), s -> rejected.test(s) && s.contains("rst=0"),
                s -> rejected.test(s) && s.contains("rst=8")));
        return peers;
    }

    /** connection-state: one app JVM per run (started with --user-shutdown; it shuts down). */
    static Peer connectionState(boolean tls) {
        return new Peer("connection-state",
                "h2load -n5 -c1 -m5 " + (tls ? "https://…" : "") + "/slow?ms=3000, then curl /admin/shutdown after "
                        + "1 s",
                true, port -> PeerClients.shutdownUnderLoad(port, tls),
                s -> s.contains("5 succeeded, 0 failed, 2xx=5") && s.contains("shutdown: HTTP 200"),
                s -> s.matches("h2load [0-4] succeeded, [1-5] failed, 2xx=\\d 4xx=0 5xx=0; shutdown: HTTP 200.*"));
    }
}
