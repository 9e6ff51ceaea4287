package dev.h2patch.it.interop;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Haproxy;
import dev.h2patch.it.Repo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The interop suite (issue 8): every seed scenario against the test apps, with real peers (grpc-go, grpc-go through
 * Go's cmux, grpc-js, HAProxy with Node/grpc-js/nghttp clients, curl, h2load, nghttp, h2spec), each app without and
 * with the agent. Writes docs/interop.md; exits 1 when a fix the README claims does not work for a peer that ran
 * (a regression) or when the agent makes a result worse, never because a peer is unavailable.
 *
 * <p>Run by {@code test-apps/interop/run-interop.sh [--quick|--full]} (arguments: {@code --quick|--full}, {@code
 * --apps a,b}, {@code --h2spec-apps a,b}, {@code --out docs/interop.md}, {@code --command "..."}).
 */
public final class InteropSuite {

    static final List<String> ALL_APPS = List.of("netty-server", "netty42-server", "grpc-shaded-netty-server",
            "grpc-server", "netty4177-server", "netty-sniffer-server", "jetty12-sniffer-server", "jetty94-server",
            "jetty10-server",
            "jetty11-server", "jetty120-server", "jetty121-server");
    /** Newest library versions only (both sniffer apps: grpc-go through a Netty and a Jetty port sniffer). */
    static final List<String> QUICK_APPS = List.of("netty-server", "netty42-server", "grpc-shaded-netty-server",
            "netty-sniffer-server", "jetty12-sniffer-server", "jetty121-server");
    /**
     * h2spec in quick mode (CI): one app per library line (~30 s per app and agent setting here). The other apps are
     * left to {@code --full}: the sniffer apps fail ~143 cases, each waiting out {@code -o 2} (minutes per run).
     */
    static final List<String> QUICK_H2SPEC = List.of("netty-server", "jetty121-server");

    /** Where the README claims each fix (read from README.md, see {@link Claims}). */
    static boolean claimed(String fix, String app) {
        return Claims.claimed(fix, app);
    }

    record Row(String seed, String fix, String peer, String app, String without, String with, String verdict,
               boolean regression) {}

    /**
     * One peer of one scenario: how to run it against a port, what a healthy result looks like, and what the seed's
     * bug looks like to this peer (a result that is neither means the scenario did not happen: inconclusive).
     * {@code note}: the verdict when the bug shows either way for a reason outside the Java server (or null).
     */
    record Peer(String seed, String fix, String name, boolean gating, Probe probe, Predicate<String> healthy,
                Predicate<String> bug, String note) {
        Peer(String seed, String fix, String name, boolean gating, Probe probe, Predicate<String> healthy,
             Predicate<String> bug) {
            this(seed, fix, name, gating, probe, healthy, bug, null);
        }
    }

    @FunctionalInterface
    interface Probe {
        String run(int port) throws Exception;
    }

    private final List<Row> rows = new ArrayList<>();
    private final Map<String, String> h2spec = new LinkedHashMap<>();
    private final List<String> problems = new ArrayList<>();

    public static void main(String[] args) throws Exception {
        boolean full = false;
        List<String> apps = null;
        List<String> h2specApps = null;
        Path out = Repo.root().resolve("docs/interop.md");
        String command = "bash test-apps/interop/run-interop.sh --quick";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--full" -> full = true;
                case "--quick" -> full = false;
                case "--apps" -> apps = List.of(args[++i].split(","));
                case "--h2spec-apps" -> h2specApps = args[++i].isEmpty() ? List.of() : List.of(args[i].split(","));
                case "--out" -> out = Path.of(args[++i]);
                case "--command" -> command = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        if (apps == null) {
            apps = full ? ALL_APPS : QUICK_APPS;
        }
        if (h2specApps == null) {
            h2specApps = full ? ALL_APPS : QUICK_H2SPEC.stream().filter(apps::contains).toList();
        }
        Freshness.requireFresh(apps);
        InteropSuite suite = new InteropSuite();
        long start = System.nanoTime();
        for (String app : apps) {
            suite.runApp(app, h2specApps.contains(app));
        }
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        Files.writeString(out, suite.render(command, apps, h2specApps, full, seconds));
        System.out.println("interop: wrote " + out + " (" + suite.rows.size() + " rows, " + seconds + " s)");
        if (!suite.problems.isEmpty()) {
            System.out.println("interop: REGRESSIONS:");
            suite.problems.forEach(p -> System.out.println("  " + p));
            System.exit(1);
        }
    }

    // ------------------------------------------------------------------------------------------------ peers

    static final Duration T = Duration.ofSeconds(20);

    static List<Peer> statelessPeers() throws IOException {
        Path grpcMsg = Files.createTempFile("h2patch-grpc", ".bin");
        Files.write(grpcMsg, new byte[5]);
        Path upload = Files.createTempFile("h2patch-upload", ".bin");
        Files.write(upload, new byte[512 * 1024]);
        Predicate<String> handshake = s -> !s.isBlank() && !s.contains("handshake") && !s.contains("dial error")
                && !s.contains("killed");
        Predicate<String> handshakeBug = s -> s.contains("handshake") || s.contains("dial error");
        Predicate<String> jsHandshake = s -> !s.isBlank() && !s.contains("DEADLINE_EXCEEDED")
                && !s.contains("UNAVAILABLE") && !s.contains("killed");
        Predicate<String> jsHandshakeBug = s -> s.contains("DEADLINE_EXCEEDED");
        Predicate<String> control = s -> false; // a peer that speaks first never shows seed 000's bug
        Predicate<String> rejected = s -> s.contains("grpc-status 7");
        List<Peer> peers = new ArrayList<>();
        // seed 000: early-settings
        peers.add(new Peer("000", "early-settings", "grpc-go 1.33 direct (Health/Check, WithBlock, 3 s)", true,
                port -> grpcGo(port, "health"), handshake, handshakeBug));
        peers.add(new Peer("000", "early-settings", "grpc-go 1.33 → cmux 0.1.5 `HTTP2HeaderField` (seed's set-up)",
                false, port -> viaCmux(port, "grpc-header"), handshake, handshakeBug,
                "not fixable in the Java server: cmux's `HTTP2HeaderField` matcher (Go) holds the connection until the "
                        + "client's HEADERS, before it connects to the app (cmux needs `MatchWithWriters`)"));
        peers.add(new Peer("000", "early-settings", "grpc-go 1.33 → cmux 0.1.5 `HTTP2()`", false,
                port -> viaCmux(port, "http2"), handshake, handshakeBug));
        peers.add(new Peer("000", "early-settings", "grpc-js 1.14 direct (Health/Check, 3 s)", false,
                port -> grpcJs(port, "health", 3000), jsHandshake, jsHandshakeBug));
        peers.add(new Peer("000", "early-settings", "curl --http2-prior-knowledge GET /hello", false,
                port -> curl(port, "GET", "/hello", null), s -> s.startsWith("HTTP 200"), control));
        // seed 002: end-stream
        peers.add(new Peer("002", "end-stream", "grpc-go 1.33 direct (/h2patch.Test/Fail)", true,
                port -> grpcGo(port, "unary"), s -> s.contains("code=NotFound"),
                s -> s.contains("without sending trailers")));
        peers.add(new Peer("002", "end-stream", "grpc-js 1.14 direct (/h2patch.Test/Fail)", true,
                port -> grpcJs(port, "unary", 3000), s -> s.contains("NOT_FOUND"),
                s -> s.contains("without gRPC status") || s.startsWith("INTERNAL")));
        peers.add(new Peer("002", "end-stream", "nghttp -v POST /h2patch.Test/Fail (frames)", true,
                port -> nghttp(port, "/h2patch.Test/Fail", grpcMsg),
                s -> s.contains("HEADERS+ES") && !s.contains("DATA[0]+ES"),
                s -> s.contains("HEADERS, DATA[0]+ES")));
        peers.add(new Peer("002", "end-stream", "curl POST /h2patch.Test/Fail", false,
                port -> curl(port, "POST", "/h2patch.Test/Fail", grpcMsg), s -> s.startsWith("HTTP 200"), control));
        // seed 004: proxy-safe-reset
        peers.add(new Peer("004", "proxy-safe-reset", "HAProxy 2.6 → Node http2 (RejectUpload, streams 1 s)", true,
                port -> viaHaproxy(port, p -> nodeUpload(p, 1000)), s -> rejected.test(s) && s.contains("rst=0"),
                s -> rejected.test(s) && s.contains("rst=8")));
        peers.add(new Peer("004", "proxy-safe-reset", "HAProxy 2.6 → grpc-js 1.14 (RejectUpload, streams 1 s)", false,
                port -> viaHaproxy(port, p -> grpcJs(p, "upload", 5000)), s -> s.contains("PERMISSION_DENIED"),
                s -> s.startsWith("CANCELLED") || s.startsWith("INTERNAL")));
        peers.add(new Peer("004", "proxy-safe-reset", "HAProxy 2.6 → nghttp (RejectUpload, 512 KiB upload)", true,
                port -> viaHaproxy(port, p -> nghttp(p, "/h2patch.Test/RejectUpload", upload)),
                s -> s.contains("HEADERS+ES") && !s.contains("RST_STREAM(CANCEL)"),
                s -> s.contains("HEADERS+ES") && s.contains("RST_STREAM(CANCEL)")));
        peers.add(new Peer("004", "proxy-safe-reset", "Node http2 direct (RejectUpload, streams 1 s)", false,
                port -> nodeUpload(port, 1000), s -> rejected.test(s) && s.contains("rst=0"),
                s -> rejected.test(s) && s.contains("rst=8")));
        return peers;
    }

    static String grpcGo(int port, String mode) throws Exception {
        String exe = Peers.exe("grpc-go-client");
        return Peers.run(List.of(exe, "-addr", "127.0.0.1:" + port, "-mode", mode, "-timeout", "3s"), T).output()
                .strip();
    }

    static String viaCmux(int port, String match) throws Exception {
        String exe = Peers.exe("cmux-front");
        try (Peers.Daemon cmux = new Peers.Daemon(List.of(exe, "-backend", "127.0.0.1:" + port, "-match", match))) {
            return grpcGo(cmux.port, "health");
        }
    }

    static String node(List<String> args) throws Exception {
        String exe = Peers.exe("node");
        List<String> cmd = new ArrayList<>(List.of(exe));
        cmd.addAll(args);
        return Peers.run(cmd, T).output().strip();
    }

    static String grpcJs(int port, String mode, int timeoutMs) throws Exception {
        Path script = Peers.interopDir().resolve("node/grpc-js-client.js");
        if (!Files.isDirectory(Peers.interopDir().resolve("node/node_modules/@grpc/grpc-js"))) {
            throw new Peers.Unavailable("@grpc/grpc-js is not installed (npm ci in test-apps/interop/node)");
        }
        String json = node(List.of(script.toString(), "--port", "" + port, "--mode", mode, "--timeout-ms",
                "" + timeoutMs, "--stream-ms", "1000"));
        Matcher m = Pattern.compile("\"name\":\"([A-Z_]+)\",\"details\":\"([^\"]*)\"").matcher(json);
        return m.find() ? m.group(1) + (m.group(2).isEmpty() ? "" : " \"" + m.group(2) + "\"") : json;
    }

    static String nodeUpload(int port, int streamMs) throws Exception {
        Path script = Peers.interopDir().resolve("node/reject-upload.js");
        String json = node(List.of(script.toString(), "--port", "" + port, "--stream-ms", "" + streamMs,
                "--timeout-ms", "6000"));
        Matcher m = Pattern.compile("\"status\":(\\w+),\"grpcStatus\":\"?(\\w+)\"?,.*\"rstCode\":(\\w+),"
                + "\"closedMs\":(\\d+),\"error\":(.*)}").matcher(json);
        if (!m.find()) {
            return json;
        }
        return ":status " + m.group(1) + ", grpc-status " + m.group(2) + ", rst=" + m.group(3) + " after "
                + m.group(4) + " ms" + (m.group(5).equals("null") ? "" : ", error " + m.group(5));
    }

    static String curl(int port, String method, String path, Path body) throws Exception {
        String exe = Peers.exe("curl");
        List<String> cmd = new ArrayList<>(List.of(exe, "-s", "-o", "/dev/null", "--http2-prior-knowledge",
                "--max-time", "5", "-w", "HTTP %{http_code} (%{http_version}), %{size_download} body bytes",
                "-X", method));
        if (body != null) {
            cmd.addAll(List.of("-H", "content-type: application/grpc", "-H", "te: trailers", "--data-binary",
                    "@" + body));
        }
        cmd.add("http://127.0.0.1:" + port + path);
        Peers.Run r = Peers.run(cmd, T);
        return r.output().strip() + (r.exit() == 0 ? "" : ", curl exit " + r.exit());
    }

    private static final Pattern NGHTTP_FRAME = Pattern.compile(
            "recv (\\w+) frame <length=(\\d+), flags=0x(\\p{XDigit}+), stream_id=(\\d+)>(?:\\s*\\n[^\\n]*?error_code=(\\w+))?");

    /** nghttp -v, the response frames on the request's stream: e.g. {@code HEADERS, DATA[0]+ES}. */
    static String nghttp(int port, String path, Path body) throws Exception {
        String exe = Peers.exe("nghttp");
        Peers.Run r = Peers.run(List.of(exe, "-v", "-n", "-t", "8", "-H", "content-type: application/grpc",
                "-H", "te: trailers", "-d", body.toString(), "http://127.0.0.1:" + port + path), T);
        List<String> frames = new ArrayList<>();
        Matcher m = NGHTTP_FRAME.matcher(r.output());
        while (m.find()) {
            if (m.group(4).equals("0")) {
                if (m.group(1).equals("GOAWAY")) {
                    frames.add("GOAWAY(conn)");
                }
                continue;
            }
            String type = m.group(1);
            int flags = Integer.parseInt(m.group(3), 16);
            String f = switch (type) {
                case "DATA" -> "DATA[" + m.group(2) + "]" + ((flags & 1) != 0 ? "+ES" : "");
                case "HEADERS" -> "HEADERS" + ((flags & 1) != 0 ? "+ES" : "");
                case "RST_STREAM" -> "RST_STREAM(" + m.group(5) + ")";
                default -> type;
            };
            if (!f.equals("WINDOW_UPDATE")) {
                frames.add(f);
            }
        }
        // Collapse runs of DATA frames: DATA×n.
        List<String> collapsed = new ArrayList<>();
        for (String f : frames) {
            int last = collapsed.size() - 1;
            if (last >= 0 && f.startsWith("DATA[") && !f.endsWith("ES") && collapsed.get(last).startsWith("DATA")
                    && !collapsed.get(last).endsWith("ES")) {
                collapsed.set(last, "DATA…");
            } else {
                collapsed.add(f);
            }
        }
        String s = collapsed.isEmpty() ? "no response frames" : String.join(", ", collapsed);
        return s + (r.exit() == 0 ? "" : " (nghttp exit " + r.exit() + ")");
    }

    interface PortProbe {
        String run(int port) throws Exception;
    }

    static String viaHaproxy(int port, PortProbe client) throws Exception {
        if (Haproxy.executable() == null) {
            throw new Peers.Unavailable(Haproxy.NOT_INSTALLED);
        }
        try (Haproxy h = Haproxy.inFrontOf(port)) {
            String result = client.run(h.port());
            Thread.sleep(200);
            // httplog: ... %CC %CS %tsc %ac/%fc/%bc/%sc/%rc ..., e.g. "- - SD-- 1/1/0/0/0 0/0"
            Matcher m = Pattern.compile(" ([A-Za-z-]{4}) \\d+/\\d+/\\d+/\\d+/\\+?\\d+ ").matcher(h.log());
            String state = null;
            while (m.find()) {
                state = m.group(1);
            }
            return result + (state == null ? "" : "; haproxy " + state);
        }
    }

    // ------------------------------------------------------------------------------------------------ runs

    void runApp(String app, boolean withH2spec) throws Exception {
        System.out.println("interop: " + app);
        List<Peer> peers = statelessPeers();
        Map<String, String> without = new LinkedHashMap<>();
        Map<String, String> with = new LinkedHashMap<>();
        skipped.clear();
        String h2Without = null;
        String h2With = null;
        for (boolean agent : new boolean[] {false, true}) {
            Map<String, String> into = agent ? with : without;
            try (ChildJvm child = start(app, agent)) {
                for (Peer p : peers) {
                    into.put(p.name(), probe(p.probe(), child.port()));
                }
                if (agent) {
                    recordSkipped(child);
                }
                if (withH2spec) {
                    String r = h2spec(child.port());
                    if (agent && h2Without != null && !newFailures(h2Without, r).isEmpty()) {
                        // h2spec -o 2 has timing-sensitive cases: a case failing only with the agent counts only
                        // if it fails again on a second run (a flake must not fail CI).
                        String again = h2spec(child.port());
                        Set<String> still = newFailures(h2Without, r);
                        still.retainAll(newFailures(h2Without, again));
                        if (still.size() < newFailures(h2Without, r).size()) {
                            r = again.replaceFirst("\\|", " (second run; the first had " + r.split("\\|")[0]
                                    .replaceAll(".*?(\\d+) failed.*", "$1") + " failed)|");
                        }
                    }
                    if (agent) {
                        h2With = r;
                    } else {
                        h2Without = r;
                    }
                }
            } catch (Exception e) {
                for (Peer p : peers) {
                    into.putIfAbsent(p.name(), "not run: app did not start: " + e.getMessage());
                }
            }
        }
        // Some h2spec cases fail now and then whatever the agent does (seen: http2/6.1/2 on netty-server and
        // http2/5.1/11 on jetty121-server, each failing alone without the agent on some runs and passing on others).
        // A case counts against the agent only if it failed in every run with the agent and passed in every run
        // without it: while a difference remains, both sides run again, up to three runs each.
        for (int extra = 0; extra < 2 && withH2spec && h2Without != null && h2With != null
                && !newFailures(h2Without, h2With).isEmpty(); extra++) {
            try (ChildJvm child = start(app, false)) {
                h2Without = withFailuresOf(h2Without, h2spec(child.port()));
            } catch (Exception e) {
                System.out.println("interop: " + app + ": another h2spec run without the agent did not run: " + e);
            }
            if (newFailures(h2Without, h2With).isEmpty()) {
                break;
            }
            try (ChildJvm child = start(app, true)) {
                h2With = failingInBoth(h2With, h2spec(child.port()));
            } catch (Exception e) {
                System.out.println("interop: " + app + ": another h2spec run with the agent did not run: " + e);
            }
        }
        for (Peer p : peers) {
            addRow(p, app, without.get(p.name()), with.get(p.name()));
        }
        // seed 003: connection-state, one app JVM per run (it shuts down).
        Peer cs = new Peer("003", "connection-state",
                "h2load -n5 -c1 -m5 /slow?ms=3000, then curl /admin/shutdown after 1 s", true, null,
                s -> s.contains("5 succeeded, 0 failed, 2xx=5") && s.contains("shutdown: HTTP 200"),
                s -> s.matches("h2load [0-4] succeeded, [1-5] failed, 2xx=\\d 4xx=0 5xx=0; shutdown: HTTP 200.*"));
        String[] cells = new String[2];
        for (int i = 0; i < 2; i++) {
            ChildJvm.Builder b = ChildJvm.app(app).appArg("--user-shutdown");
            if (i == 1) {
                b.agent();
            }
            try (ChildJvm child = b.start()) {
                cells[i] = probe(port -> shutdownUnderLoad(port), child.port());
            } catch (Exception e) {
                cells[i] = "not run: app did not start: " + e.getMessage();
            }
        }
        addRow(cs, app, cells[0], cells[1]);
        if (withH2spec) {
            recordH2spec(app, h2Without, h2With);
        }
    }

    static ChildJvm start(String app, boolean agent) throws Exception {
        ChildJvm.Builder b = ChildJvm.app(app);
        if (agent) {
            b.agent();
        }
        return b.start();
    }

    static String probe(Probe probe, int port) {
        try {
            return probe.run(port);
        } catch (Peers.Unavailable e) {
            return "peer unavailable: " + e.getMessage();
        } catch (Exception e) {
            return "peer unavailable: " + e;
        }
    }

    static String shutdownUnderLoad(int port) throws Exception {
        String h2load = Peers.exe("h2load");
        Process load = new ProcessBuilder(h2load, "-n5", "-c1", "-m5", "-T", "10",
                "http://127.0.0.1:" + port + "/slow?ms=3000").redirectErrorStream(true).start();
        Thread.sleep(1000);
        String admin = curl(port, "GET", "/admin/shutdown", null);
        if (!load.waitFor(15, java.util.concurrent.TimeUnit.SECONDS)) {
            load.destroyForcibly();
        }
        String out = new String(load.getInputStream().readAllBytes());
        Matcher m = Pattern.compile("requests: .*?(\\d+) succeeded, (\\d+) failed").matcher(out);
        Matcher codes = Pattern.compile("status codes: (\\d+) 2xx, (\\d+) 3xx, (\\d+) 4xx, (\\d+) 5xx").matcher(out);
        String result = m.find() ? m.group(1) + " succeeded, " + m.group(2) + " failed"
                + (codes.find() ? ", 2xx=" + codes.group(1) + " 4xx=" + codes.group(3) + " 5xx=" + codes.group(4) : "")
                : ": " + out.strip();
        return "h2load " + result + "; shutdown: " + admin.replaceAll(" \\(.*", "");
    }

    /** fix -> the agent's "skipped for ..." lines of the with-agent run, when no "active for" line exists. */
    private final Map<String, String> skipped = new LinkedHashMap<>();

    void recordSkipped(ChildJvm child) throws InterruptedException {
        Thread.sleep(100);
        List<String> lines = child.stderrLines();
        for (String fix : List.of("end-stream", "connection-state", "early-settings", "proxy-safe-reset")) {
            boolean active = lines.stream().anyMatch(l -> l.contains(fix + ": active for"));
            String why = lines.stream().filter(l -> l.contains(fix + ": skipped for"))
                    .map(l -> l.replaceAll("^.*?" + fix + ": ", "").replaceAll(" in \\S*ClassLoader\\S*", ""))
                    .distinct().reduce((a, b) -> a + "; " + b).orElse(null);
            if (!active && why != null) {
                skipped.put(fix, why);
            }
        }
    }

    static final String NO_ROUTE = "the app has no route for this scenario (404 / UNIMPLEMENTED)";

    /** The app answered the scenario's request with "no such route": the scenario did not happen. */
    static boolean noRoute(String s) {
        return s.contains(":status 404") || s.contains("HTTP 404") || s.contains("4xx=5")
                || s.contains("grpc-status 12") || s.contains("UNIMPLEMENTED \"unknown method")
                || s.contains("UNIMPLEMENTED \"Received HTTP status code 404");
    }

    void addRow(Peer p, String app, String without, String with) {
        String verdict;
        boolean regression = false;
        String unavailable = Stream.of(without, with).filter(s -> s.startsWith("peer unavailable")
                || s.startsWith("not run")).findFirst().orElse(null);
        boolean okWithout = p.healthy().test(without);
        boolean okWith = p.healthy().test(with);
        boolean bugWithout = p.bug().test(without);
        boolean bugWith = p.bug().test(with);
        String skip = skipped.containsKey(p.fix()) ? "; agent: " + skipped.get(p.fix()) : "";
        if (unavailable != null) {
            verdict = unavailable.startsWith("not run") ? "inconclusive: " + unavailable : unavailable;
        } else if (okWithout && okWith) {
            verdict = "ok without and with";
        } else if (okWithout) {
            verdict = "**WORSE with the agent**";
            regression = true;
        } else if (okWith) {
            verdict = bugWithout ? "**fixed**" : "inconclusive: " + (noRoute(without) ? NO_ROUTE
                    : "better with the agent, but without it the peer did not get as far as the seed's symptom"
                    + (without.contains("haproxy PR--") || p.bug() != null && without.contains("deadline")
                    ? " (no response at all: the app did not speak first — seed 000, early-settings)" : ""));
        } else if (p.note() != null && bugWithout && bugWith) {
            verdict = p.note();
        } else if (Claims.notApplicable(p.fix(), app)) {
            verdict = "not applicable (HTTP/1.1-first connector)";
        } else if (!bugWithout || !bugWith) {
            verdict = "inconclusive: " + (noRoute(without) || noRoute(with) ? NO_ROUTE
                    : "the peer saw " + (bugWithout || bugWith ? "the seed's symptom on one run only"
                    : "neither the seed's symptom nor the healthy result")
                    + (without.contains("haproxy PR--") ? " (without the agent HAProxy got no response: the app "
                    + "did not speak first — seed 000, early-settings)" : "")) + skip;
        } else if (p.gating() && claimed(p.fix(), app)) {
            verdict = "**NOT FIXED (regression)**" + skip;
            regression = true;
        } else {
            verdict = (claimed(p.fix(), app) ? "not fixed for this peer (the README's claim is checked by the gating "
                    + "peers)" : "not fixed: the README does not claim `" + p.fix() + "` for " + app) + skip;
        }
        if (regression) {
            problems.add(p.fix() + " / " + app + " / " + p.name() + ": without [" + without + "], with [" + with
                    + "]");
        }
        rows.add(new Row(p.seed(), p.fix(), p.name(), app, without, with, verdict, regression));
    }

    // ------------------------------------------------------------------------------------------------ h2spec

    /** h2spec 2.2.0 -o 2 with a JUnit report: "passed/skipped/failed of total" and the failing case ids. */
    static String h2spec(int port) {
        try {
            String exe = Peers.exe("h2spec");
            Path report = Files.createTempFile("h2spec", ".xml");
            Peers.Run r = Peers.run(List.of(exe, "-h", "127.0.0.1", "-p", "" + port, "-o", "2", "-j",
                    report.toString()), Duration.ofMinutes(8));
            String xml = Files.readString(report);
            Files.deleteIfExists(report);
            Matcher summary = Pattern.compile("(\\d+) tests, (\\d+) passed, (\\d+) skipped, (\\d+) failed")
                    .matcher(r.output());
            String counts = summary.find() ? summary.group(2) + " passed, " + summary.group(3) + " skipped, "
                    + summary.group(4) + " failed of " + summary.group(1) : "no summary (exit " + r.exit() + ")";
            Set<String> failing = new TreeSet<>();
            Matcher suite = Pattern.compile("<testsuite [^>]*?package=\"([^\"]*)\"[^>]*>(.*?)</testsuite>",
                    Pattern.DOTALL).matcher(xml);
            while (suite.find()) {
                Matcher tc = Pattern.compile("<testcase [^>]*?(/>|>(.*?)</testcase>)", Pattern.DOTALL)
                        .matcher(suite.group(2));
                int n = 0;
                while (tc.find()) {
                    n++;
                    if (tc.group(2) != null && (tc.group(2).contains("<failure") || tc.group(2).contains("<error"))) {
                        failing.add(suite.group(1) + "/" + n);
                    }
                }
            }
            return counts + "|" + String.join(" ", failing);
        } catch (Peers.Unavailable e) {
            return "peer unavailable: " + e.getMessage() + "|";
        } catch (Exception e) {
            return "peer unavailable: " + e + "|";
        }
    }

    /**
     * h2spec result {@code first} (counts|ids) with the failing cases of {@code second} added: a case that failed in
     * either run without the agent is not held against it. The counts stay the first run's; the note says so.
     */
    static String withFailuresOf(String first, String second) {
        String[] a = first.split("\\|", -1);
        String[] b = second.split("\\|", -1);
        if (a.length < 2 || b.length < 2) {
            return first;
        }
        Set<String> failing = new TreeSet<>(a[1].isEmpty() ? List.of() : List.of(a[1].split(" ")));
        Set<String> added = new TreeSet<>(b[1].isEmpty() ? List.of() : List.of(b[1].split(" ")));
        added.removeAll(failing);
        if (added.isEmpty()) {
            return first;
        }
        failing.addAll(added);
        return a[0] + " (a second run also failed " + String.join(" ", added) + ")|" + String.join(" ", failing);
    }

    /**
     * h2spec result {@code first} (counts|ids) keeping only the cases that failed in {@code second} too: a case that
     * passed in any run with the agent is not held against it. The counts stay the first run's; the note says so.
     */
    static String failingInBoth(String first, String second) {
        String[] a = first.split("\\|", -1);
        String[] b = second.split("\\|", -1);
        if (a.length < 2 || b.length < 2) {
            return first;
        }
        Set<String> failing = new TreeSet<>(a[1].isEmpty() ? List.of() : List.of(a[1].split(" ")));
        Set<String> passedAgain = new TreeSet<>(failing);
        passedAgain.removeAll(b[1].isEmpty() ? List.of() : List.of(b[1].split(" ")));
        if (passedAgain.isEmpty()) {
            return first;
        }
        failing.removeAll(passedAgain);
        return a[0] + " (another run passed " + String.join(" ", passedAgain) + ")|" + String.join(" ", failing);
    }

    /** Cases failing in h2spec result {@code with} (counts|ids) but not in {@code without}. */
    static Set<String> newFailures(String without, String with) {
        String[] a = without.split("\\|", -1);
        String[] b = with.split("\\|", -1);
        Set<String> fb = new TreeSet<>(b[1].isEmpty() ? List.of() : List.of(b[1].split(" ")));
        if (!a[1].isEmpty()) {
            fb.removeAll(List.of(a[1].split(" ")));
        }
        return fb;
    }

    void recordH2spec(String app, String without, String with) {
        if (without == null || with == null) {
            h2spec.put(app, "not run|app did not start||");
            return;
        }
        String[] a = without.split("\\|", -1);
        String[] b = with.split("\\|", -1);
        Set<String> fa = new TreeSet<>(a[1].isEmpty() ? List.of() : List.of(a[1].split(" ")));
        Set<String> fb = new TreeSet<>(b[1].isEmpty() ? List.of() : List.of(b[1].split(" ")));
        String verdict;
        if (a[0].startsWith("peer unavailable") || b[0].startsWith("peer unavailable")) {
            verdict = "peer unavailable";
        } else if (fa.equals(fb)) {
            verdict = "same failing set";
        } else {
            Set<String> newFail = new TreeSet<>(fb);
            newFail.removeAll(fa);
            Set<String> nowPass = new TreeSet<>(fa);
            nowPass.removeAll(fb);
            verdict = (newFail.isEmpty() ? "" : "**newly failing with the agent: " + newFail + "** ")
                    + (nowPass.isEmpty() ? "" : "passing only with the agent: " + nowPass);
            if (!newFail.isEmpty()) {
                problems.add("h2spec " + app + ": newly failing with the agent " + newFail);
            }
        }
        h2spec.put(app, a[0] + "|" + b[0] + "|" + verdict + "|" + (fa.isEmpty() ? "none" : String.join(" ", fa)));
    }

    // ------------------------------------------------------------------------------------------------ doc

    String render(String command, List<String> apps, List<String> h2specApps, boolean full, long seconds) {
        StringBuilder sb = new StringBuilder(Peers.header("Interop results: real peers, without and with the agent",
                command, "Every seed scenario against " + (full ? "every test app" : "the test apps on the newest "
                        + "library versions (quick mode; `--full` runs all " + ALL_APPS.size() + " apps)")
                        + ", each app started once without and once with `-javaagent:agent/dist/target/h2patch-agent.jar`"
                        + " (all fixes, defaults). Apps run: " + String.join(", ", apps) + ". The suite took "
                        + seconds + " s. A cell is what the peer itself reported (status, frames on the request's "
                        + "stream as nghttp printed them — `+ES` = END_STREAM —, HAProxy's session state, h2load's "
                        + "counts); the verdict compares it with the healthy result for that scenario. Routes an app "
                        + "does not have show up as what the peer got (e.g. 404 / UNIMPLEMENTED). h2spec ran on: "
                        + (h2specApps.isEmpty() ? "no app" : String.join(", ", h2specApps))
                        + (full ? "" : " (quick mode: one app per library line, to stay within the CI budget; "
                        + "`--full` runs h2spec on every app)") + ".\n\nVerdicts: **fixed** — the seed's symptom without "
                        + "the agent, the healthy result with it; ok without and with — nothing to fix for this "
                        + "peer; not applicable — the scenario cannot happen on this connector; inconclusive — the "
                        + "peer saw neither the symptom nor the healthy result (e.g. a missing route), so nothing is "
                        + "concluded; peer unavailable — the peer could not run (reason given); **NOT FIXED "
                        + "(regression)** — a gating peer still sees the symptom where the README claims the fix. "
                        + Claims.summary()));
        sb.append("\nPeers: ").append(Peers.version(List.of("go", "version"))).append("; grpc-go 1.33 (Debian "
                + "golang-google-grpc-dev); cmux 0.1.5 (Debian); @grpc/grpc-js 1.14.7 (npm, package-lock.json); "
                + "node ").append(Peers.version(List.of("node", "--version"))).append("; ")
                .append(Peers.version(List.of(haproxyExe(), "-v")).replaceAll(" - https.*", "")).append("; ")
                .append(Peers.version(List.of("nghttp", "--version"))).append("; ")
                .append(Peers.version(List.of("curl", "--version")).replaceAll(" \\(.*", "")).append("; h2spec ")
                .append(Peers.version(List.of(Peers.target("h2spec").toString(), "--version"))).append(".\n");
        String[][] seeds = {{"000", "early-settings", "grpc-go behind a port sniffer: \"timed out waiting for server "
                + "handshake\""}, {"002", "end-stream", "HEADERS then empty DATA(END_STREAM): \"server closed the stream "
                + "without sending trailers\""}, {"003", "connection-state", "shutdown cuts in-flight HTTP/2 streams"},
                {"004", "proxy-safe-reset", "RST_STREAM after a complete response reaches clients behind HAProxy as "
                        + "CANCEL"}};
        for (String[] seed : seeds) {
            sb.append("\n## Seed ").append(seed[0]).append(" — `").append(seed[1]).append("`: ").append(seed[2])
                    .append("\n\n| peer | app | without agent | with agent | verdict |\n|---|---|---|---|---|\n");
            for (Row r : rows) {
                if (r.seed().equals(seed[0])) {
                    sb.append("| ").append(Peers.cell(r.peer())).append(" | ").append(r.app()).append(" | `")
                            .append(Peers.cell(r.without())).append("` | `").append(Peers.cell(r.with()))
                            .append("` | ").append(r.verdict()).append(" |\n");
                }
            }
        }
        sb.append("\n## h2spec 2.2.0 (`h2spec -o 2`, every case)\n\nThe assertion: the same set of failing "
                + "cases without and with the agent. Some cases are timing-sensitive whatever the agent does, so while "
                + "a difference remains both sides run again, up to three runs each: a case fails the suite only if "
                + "it failed in every run with the agent and passed in every run without it; the cells note the "
                + "extra runs, and the failing set without the agent is the union of its runs.\n\n"
                + "| app | without agent | with agent | verdict | failing cases without the agent (section/ordinal) |\n"
                + "|---|---|---|---|---|\n");
        for (String app : apps) {
            String v = h2spec.get(app);
            if (v == null) {
                sb.append("| ").append(app).append(" | not run: not in this mode's h2spec apps | | | |\n");
                continue;
            }
            String[] c = v.split("\\|", -1);
            sb.append("| ").append(app).append(" | ").append(c[0]).append(" | ").append(c[1]).append(" | ")
                    .append(c[2]).append(" | ").append(Peers.cell(c[3])).append(" |\n");
        }
        sb.append("\n## Summary\n\n");
        Map<String, Integer> counts = new java.util.TreeMap<>();
        for (Row r : rows) {
            counts.merge(r.verdict().replaceAll(":.*", "").replace("*", ""), 1, Integer::sum);
        }
        counts.forEach((k, v) -> sb.append("- ").append(k).append(": ").append(v).append("\n"));
        for (Row r : rows) {
            if (r.verdict().startsWith("inconclusive") || r.verdict().contains("NOT FIXED")) {
                sb.append("- ").append(r.app()).append(" / ").append(r.fix()).append(" / ")
                        .append(Peers.cell(r.peer())).append(": ").append(Peers.cell(r.verdict())).append("\n");
            }
        }
        sb.append("\n## Regressions\n\n").append(problems.isEmpty() ? "None: every fix the README claims worked for "
                + "every gating peer that ran, and no result was worse with the agent.\n"
                : "- " + String.join("\n- ", problems) + "\n");
        return sb.toString();
    }

    static String haproxyExe() {
        Path p = Haproxy.executable();
        return p == null ? "haproxy" : p.toString();
    }
}
