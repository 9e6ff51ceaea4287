package dev.h2patch.it.interop;

import dev.h2patch.it.Catalog;
import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.TlsKeys;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs the interop suite's scenarios against one app at a time: the app started without and with the agent, every
 * peer of {@link Scenarios} against each, h2spec where asked, and a verdict per peer ({@link Verdicts}). Collects the
 * rows, the h2spec rows and the regressions for {@link InteropReport}.
 */
final class InteropRunner {

    /** One row of the report: one peer of one bug's scenario against one app ({@link #label}: over h2c or TLS). */
    record Row(String fix, String peer, String app, String without, String with, String verdict,
               boolean regression) {}

    final List<Row> rows = new ArrayList<>();
    /** app -> {@link H2spec.Comparison#cells()}. */
    final Map<String, String> h2spec = new LinkedHashMap<>();
    final List<String> problems = new ArrayList<>();

    /** fix -> the agent's "skipped for ..." lines of the with-agent run, when no "active for" line exists. */
    private final Map<String, String> skipped = new LinkedHashMap<>();

    /** How the report names {@code app} run over h2c, or with {@code tls} in its {@code --tls} mode. */
    static String label(String app, boolean tls) {
        return tls ? app + " over TLS" : app;
    }

    /** Every scenario against {@code app}, without and with the agent; with {@code tls} the app and the peers speak
     * TLS with ALPN h2 (the app's {@code --tls} mode, {@link TlsKeys}). */
    void runApp(Catalog.App app, boolean withH2spec, boolean tls) throws Exception {
        String name = app.name();
        String label = label(name, tls);
        System.out.println("interop: " + label);
        List<Scenarios.Peer> peers = Scenarios.statelessPeers(tls);
        Map<String, String> without = new LinkedHashMap<>();
        Map<String, String> with = new LinkedHashMap<>();
        skipped.clear();
        String h2Without = null;
        String h2With = null;
        for (boolean agent : new boolean[] {false, true}) {
            Map<String, String> into = agent ? with : without;
            try (ChildJvm child = start(name, agent, tls)) {
                for (Scenarios.Peer p : peers) {
                    into.put(p.name(), probe(p.probe(), child.port()));
                }
                if (agent) {
                    recordSkipped(child);
                }
                if (withH2spec) {
                    String r = H2spec.run(child.port(), tls);
                    if (agent && h2Without != null && !H2spec.newFailures(h2Without, r).isEmpty()) {
                        // h2spec -o 2 has timing-sensitive cases: a case failing only with the agent counts only
                        // if it fails again on a second run (a flake must not fail CI).
                        r = H2spec.failingInBoth(r, H2spec.run(child.port(), tls));
                    }
                    if (agent) {
                        h2With = r;
                    } else {
                        h2Without = r;
                    }
                }
            } catch (Exception e) {
                for (Scenarios.Peer p : peers) {
                    into.putIfAbsent(p.name(), "not run: app did not start: " + e.getMessage());
                }
            }
        }
        if (withH2spec && h2Without != null && h2With != null) {
            String[] settled = H2spec.settle(h2Without, h2With, agent -> {
                try (ChildJvm child = start(name, agent, tls)) {
                    return H2spec.run(child.port(), tls);
                } catch (Exception e) {
                    System.out.println("interop: " + label + ": another h2spec run " + (agent ? "with" : "without")
                            + " the agent did not run: " + e);
                    return null;
                }
            }, (id, times) -> {
                try (ChildJvm child = start(name, true, tls)) {
                    return H2spec.failuresAlone(child.port(), tls, id, times);
                } catch (Exception e) {
                    System.out.println("interop: " + label + ": " + id + " alone with the agent did not run: " + e);
                    return -1;
                }
            });
            h2Without = settled[0];
            h2With = settled[1];
        }
        Map<String, Verdicts.Verdict> repeated = repeatDoubtful(app, tls, peers, without, with);
        for (Scenarios.Peer p : peers) {
            addRow(p, app, tls, without.get(p.name()), with.get(p.name()), repeated.get(p.name()));
        }
        // connection-state (docs/bugs.md#connection-state), one app JVM per run (it shuts down).
        Scenarios.Peer cs = Scenarios.connectionState(tls);
        String[] cells = new String[2];
        for (int i = 0; i < 2; i++) {
            try (ChildJvm child = builder(name, i == 1, tls).appArg("--user-shutdown").start()) {
                cells[i] = probe(cs.probe(), child.port());
            } catch (Exception e) {
                cells[i] = "not run: app did not start: " + e.getMessage();
            }
        }
        addRow(cs, app, tls, cells[0], cells[1], null);
        if (withH2spec) {
            recordH2spec(label, h2Without, h2With);
        }
    }

    /**
     * The peers with a doubtful first result run again on fresh app JVMs, up to {@link Verdicts#REPEAT_RUNS} runs per
     * side in all ({@link Verdicts#repeated}): a result healthy without the agent and not with it, and a fix seen on
     * an app that does not claim it. Peer name -> the verdict that replaces the first one, where it does not stand.
     */
    private Map<String, Verdicts.Verdict> repeatDoubtful(Catalog.App app, boolean tls, List<Scenarios.Peer> peers,
                                                         Map<String, String> without, Map<String, String> with) {
        String name = app.name();
        Map<String, Boolean> worse = new LinkedHashMap<>(); // suspect peer -> worse (true) or an unclaimed fix
        Map<String, int[]> healthy = new LinkedHashMap<>(); // suspect peer -> healthy runs {without, with}
        for (Scenarios.Peer p : peers) {
            String w = with.get(p.name());
            if (w.startsWith("peer unavailable") || w.startsWith("not run")) {
                continue;
            }
            boolean okWithout = p.healthy().test(without.get(p.name()));
            boolean okWith = p.healthy().test(w);
            if (okWithout != okWith && (okWithout || !Claims.claimed(p.fix(), app, tls))) {
                worse.put(p.name(), okWithout);
                healthy.put(p.name(), new int[] {okWithout ? 1 : 0, okWith ? 1 : 0});
            }
        }
        List<Scenarios.Peer> suspects = peers.stream().filter(p -> worse.containsKey(p.name())).toList();
        for (int run = 1; run < Verdicts.REPEAT_RUNS && !suspects.isEmpty(); run++) {
            for (boolean agent : new boolean[] {false, true}) {
                try (ChildJvm child = start(name, agent, tls)) {
                    for (Scenarios.Peer p : suspects) {
                        String r = probe(p.probe(), child.port());
                        System.out.println("interop: " + label(name, tls) + ": " + p.name() + " again, "
                                + (agent ? "with" : "without") + " the agent: " + r);
                        healthy.get(p.name())[agent ? 1 : 0] += p.healthy().test(r) ? 1 : 0;
                    }
                } catch (Exception e) {
                    System.out.println("interop: " + label(name, tls) + ": a repeated run did not start: " + e);
                }
            }
        }
        Map<String, Verdicts.Verdict> replaced = new LinkedHashMap<>();
        healthy.forEach((peer, h) -> {
            Verdicts.Verdict v = Verdicts.repeated(worse.get(peer), Verdicts.REPEAT_RUNS, h[0], h[1]);
            if (v != null) {
                replaced.put(peer, v);
            }
        });
        return replaced;
    }

    static ChildJvm start(String app, boolean agent, boolean tls) throws Exception {
        return builder(app, agent, tls).start();
    }

    private static ChildJvm.Builder builder(String app, boolean agent, boolean tls) throws Exception {
        ChildJvm.Builder b = ChildJvm.app(app);
        if (agent) {
            b.agent();
        }
        return tls ? TlsKeys.tls(b) : b;
    }

    static String probe(Scenarios.Probe probe, int port) {
        try {
            return probe.run(port);
        } catch (Peers.Unavailable e) {
            return "peer unavailable: " + e.getMessage();
        } catch (Exception e) {
            return "peer unavailable: " + e;
        }
    }

    void recordSkipped(ChildJvm child) throws InterruptedException {
        Thread.sleep(100);
        List<String> lines = child.stderrLines();
        for (String fix : Catalog.FIXES) {
            boolean active = lines.stream().anyMatch(l -> l.contains(fix + ": active for"));
            String why = lines.stream().filter(l -> l.contains(fix + ": skipped for"))
                    .map(l -> l.replaceAll("^.*?" + fix + ": ", "").replaceAll(" in \\S*ClassLoader\\S*", ""))
                    .distinct().reduce((a, b) -> a + "; " + b).orElse(null);
            if (!active && why != null) {
                skipped.put(fix, why);
            }
        }
    }

    /** One row; {@code replaced}, when not null, is the verdict of a doubtful result that did not repeat. */
    void addRow(Scenarios.Peer p, Catalog.App app, boolean tls, String without, String with,
                Verdicts.Verdict replaced) {
        Verdicts.Verdict v = replaced != null ? replaced : Verdicts.interop(p, app.name(),
                Claims.claimed(p.fix(), app, tls), Claims.notApplicable(p.fix(), app, tls), without, with,
                skipped.get(p.fix()));
        String label = label(app.name(), tls);
        if (v.regression()) {
            problems.add(p.fix() + " / " + label + " / " + p.name() + ": without [" + without + "], with ["
                    + with + "]");
        }
        rows.add(new Row(p.fix(), p.name(), label, without, with, v.text(), v.regression()));
    }

    void recordH2spec(String app, String without, String with) {
        if (without == null || with == null) {
            h2spec.put(app, "not run|app did not start||");
            return;
        }
        H2spec.Comparison c = H2spec.compare(without, with);
        if (!c.newlyFailing().isEmpty()) {
            problems.add("h2spec " + app + ": newly failing with the agent " + c.newlyFailing());
        }
        h2spec.put(app, c.cells());
    }
}
