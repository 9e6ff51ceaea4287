package dev.h2patch.cli.probe;

import dev.h2patch.cli.CliException;
import dev.h2patch.cli.ExitCode;
import dev.h2patch.cli.Json;
import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code probe URL}: tells from outside whether a server shows the bugs h2patch fixes (issue 19, docs/probe.md). A
 * raw HTTP/2 client, java.* only: two connections, four requests, a timeout on every step.
 */
public final class ProbeCommand {

    public static final String HELP = ""
            + "Usage: java -jar h2patch-agent.jar probe URL [options]\n"
            + "\n"
            + "Checks from outside whether the server at URL shows the HTTP/2 interop bugs h2patch fixes, and says\n"
            + "which fix addresses each: early-settings, end-stream, proxy-safe-reset, connection-state, and whether\n"
            + "the answers look patched (a likelihood). URL: http://host:port (h2c, prior knowledge) or\n"
            + "https://host:port (TLS, ALPN h2). Two connections, four requests, a timeout on every step.\n"
            + "Through a proxy, the verdicts are about the whole path: what the proxy's clients see.\n"
            + "  --grpc-method /pkg.Service/Method  a gRPC method the server answers with an error\n"
            + "                                    (default /h2patch.Probe/Unknown: UNIMPLEMENTED on any gRPC server)\n"
            + "  --path /x              the plain GET shown beside end-stream (default: the URL's path, else /)\n"
            + "  --upload-path /p       a gRPC method that answers before reading the whole request, for\n"
            + "                         proxy-safe-reset (default: the --grpc-method)\n"
            + "  --timeout 3s           the limit of each step (100ms to 60s)\n"
            + "  --insecure, -k         https: accept any certificate\n"
            + "  --sni NAME             https: the server name to send (default: the URL's host)\n"
            + "  --json                 one JSON object instead of the table\n"
            + "  -v                     also print every frame sent and received\n"
            + "Exit code: 0 no bug seen, " + ExitCode.PROBE_BUG + " a bug seen, " + ExitCode.PROBE_UNREACHABLE
            + " no HTTP/2 server reached, 2 usage.\n";

    private ProbeCommand() {
    }

    public static int run(List<String> args, PrintStream out, PrintStream err) throws CliException {
        ProbeOptions o;
        try {
            o = ProbeOptions.parse(args);
        } catch (ProbeOptions.UsageException e) {
            throw new CliException(ExitCode.USAGE, "probe: " + e.getMessage() + "\n\n" + HELP);
        }
        List<Verdict> verdicts = new ArrayList<Verdict>();
        final List<H2Connection> connections = java.util.Collections.synchronizedList(new ArrayList<H2Connection>());
        // Every wait has its deadline, but a write can block if the server stops reading: a watchdog closes the
        // sockets once the whole run has had the most its steps could take, which ends any blocked write.
        final long budgetMs = 10L * o.timeoutMs + 5000;
        final boolean[] gaveUp = {false};
        Thread watchdog = new Thread(new Runnable() {
            @Override
            public void run() {
                try {
                    Thread.sleep(budgetMs);
                } catch (InterruptedException e) {
                    return;
                }
                synchronized (gaveUp) {
                    gaveUp[0] = true;
                }
                synchronized (connections) {
                    for (H2Connection c : connections) {
                        c.abort();
                    }
                }
            }
        }, "h2patch-probe-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        try {
            H2Connection first = open(1, o, connections);
            verdicts.add(EarlySettingsCheck.run(first, o));
            notHttp2(first, o);
            verdicts.add(first.closedReason() == null ? EndStreamCheck.run(first, o)
                    : Verdict.unknown(EndStreamCheck.NAME, "connection closed: " + first.closedReason()));
            // After the requests: a port sniffer holds everything, PING included, until it sees a request.
            double pingMs = ConnectionStateCheck.ping(first, o);
            H2Connection second = open(2, o, connections);
            verdicts.add(ProxySafeResetCheck.run(second, o));
            List<List<Frame>> frames = new ArrayList<List<Frame>>();
            List<String> closed = new ArrayList<String>();
            for (H2Connection c : connections) {
                frames.add(c.frames());
                closed.add(c.closedReason());
            }
            verdicts.add(ConnectionStateCheck.judge(frames, closed, pingMs, o.timeoutMs));
            verdicts.add(PatchLikelihood.judge(verdicts, first.frames()));
        } catch (Tls.NoAlpnException e) {
            throw new CliException(ExitCode.PROBE_UNREACHABLE, "probe: " + e.getMessage());
        } catch (IOException e) {
            synchronized (gaveUp) {
                if (gaveUp[0]) {
                    throw new CliException(ExitCode.PROBE_UNREACHABLE, "probe: " + o.url + ": gave up after "
                            + budgetMs + " ms (the server stopped reading?): " + e.getMessage());
                }
            }
            throw new CliException(ExitCode.PROBE_UNREACHABLE, "probe: " + o.url + ": " + e.getMessage());
        } finally {
            // Closed before the watchdog stops: even the closing GOAWAY could block on a server that stopped reading.
            for (H2Connection c : new ArrayList<H2Connection>(connections)) {
                c.close();
            }
            watchdog.interrupt();
        }
        int bugs = 0;
        for (Verdict v : verdicts) {
            bugs += v.isBug() ? 1 : 0;
        }
        List<Frame> all = new ArrayList<Frame>();
        for (H2Connection c : connections) {
            all.addAll(c.frames());
        }
        if (o.json) {
            out.println(Json.write(json(o, verdicts, bugs, all)));
        } else {
            print(o, verdicts, bugs, all, out);
        }
        return bugs > 0 ? ExitCode.PROBE_BUG : ExitCode.OK;
    }

    private static H2Connection open(int number, ProbeOptions o, List<H2Connection> connections)
            throws IOException {
        try {
            H2Connection c = H2Connection.open(number, o);
            connections.add(c);
            return c;
        } catch (java.net.SocketTimeoutException e) {
            throw new IOException("no connection within " + o.timeoutMs + " ms", e);
        } catch (Tls.NoAlpnException e) {
            throw e;
        } catch (javax.net.ssl.SSLException e) {
            throw new IOException("TLS handshake failed: " + e.getMessage()
                    + (o.insecure ? "" : " (a self-signed or private certificate? --insecure accepts any)"), e);
        } catch (IOException e) {
            throw new IOException("cannot connect: " + (e.getMessage() != null ? e.getMessage() : e.toString()), e);
        }
    }

    /** A server that never sent a frame and closed, or answered in HTTP/1: nothing to judge. */
    private static void notHttp2(H2Connection c, ProbeOptions o) throws IOException {
        String closed = c.closedReason();
        if (closed == null) {
            return;
        }
        for (Frame f : c.frames()) {
            if (!f.sent) {
                return;
            }
        }
        throw new IOException("no HTTP/2 from the server: " + closed);
    }

    private static Map<String, Object> json(ProbeOptions o, List<Verdict> verdicts, int bugs, List<Frame> frames) {
        Map<String, Object> m = new LinkedHashMap<String, Object>();
        m.put("url", o.url);
        m.put("transport", o.tls ? "TLS, ALPN h2" : "h2c, prior knowledge");
        m.put("timeoutMs", o.timeoutMs);
        List<Object> checks = new ArrayList<Object>();
        for (Verdict v : verdicts) {
            checks.add(v.toMap());
        }
        m.put("checks", checks);
        m.put("bugs", bugs);
        m.put("note", NOTE);
        if (o.verbose) {
            List<Object> fs = new ArrayList<Object>();
            for (Frame f : frames) {
                Map<String, Object> row = new LinkedHashMap<String, Object>();
                row.put("connection", f.connection);
                row.put("direction", f.sent ? "sent" : "received");
                row.put("ms", Math.round(f.millis * 10) / 10.0);
                row.put("frame", f.describe());
                fs.add(row);
            }
            m.put("frames", fs);
        }
        return m;
    }

    static final String NOTE = "verdicts describe the whole path to the URL: with a proxy in front, what the proxy's"
            + " clients see";

    private static void print(ProbeOptions o, List<Verdict> verdicts, int bugs, List<Frame> frames, PrintStream out) {
        out.println("h2patch probe " + o.url + " (" + (o.tls ? "TLS, ALPN h2" : "h2c, prior knowledge")
                + "; timeout " + o.timeoutMs + " ms per step)");
        if (o.verbose) {
            for (Frame f : frames) {
                out.println(String.format(java.util.Locale.ROOT, "  [%d] %8.1f ms %s %s", f.connection, f.millis,
                        f.sent ? "send" : "recv", f.describe()));
            }
            out.println();
        }
        out.println(String.format("%-17s %-9s %-17s %s", "CHECK", "VERDICT", "FIX", "SEEN"));
        for (Verdict v : verdicts) {
            out.println(String.format("%-17s %-9s %-17s %s", v.check, v.word, v.fix, v.saw));
        }
        out.println();
        out.println("Note: " + NOTE + ".");
        out.println(bugs == 0 ? "No bug seen." : bugs + (bugs == 1 ? " bug" : " bugs") + " seen: see docs/bugs.md"
                + " and docs/fixes/ for each fix.");
    }
}
