package dev.h2patch.it.interop;

import dev.h2patch.it.Catalog;
import dev.h2patch.it.Repo;

import java.util.List;
import java.util.Map;

/** docs/interop.md from the runner's rows: header, one table per bug, h2spec, summary counts, regressions. */
final class InteropReport {
    private InteropReport() {}

    /** What the run was: its command, mode, apps and how long it took. */
    record Run(String command, boolean full, int fullAppCount, List<String> apps, List<String> h2specApps,
               List<String> tlsApps, long seconds) {}

    static String render(Run run, List<InteropRunner.Row> rows, Map<String, String> h2spec, List<String> problems,
                         List<Catalog.App> catalog) {
        String agent = Repo.root().relativize(Repo.agentJar()).toString();
        boolean full = run.full();
        StringBuilder sb = new StringBuilder(Markdown.header("Interop results: real peers, without and with the agent",
                run.command(), "Every bug's scenario against " + (full ? "every test app" : "the test apps on the "
                        + "newest library versions (quick mode; `--full` runs all " + run.fullAppCount() + " apps)")
                        + ", each app started once without and once with `-javaagent:" + agent + "`"
                        + " (all fixes, defaults). Apps run: " + String.join(", ", run.apps()) + ". Over TLS as well ("
                        + "the app's `--tls` mode: TLS with ALPN h2 and a key generated for the run; every peer over "
                        + "TLS, HAProxy on both of its sides; rows \"APP over TLS\"): "
                        + (run.tlsApps().isEmpty() ? "none" : String.join(", ", run.tlsApps())) + ". The suite took "
                        + run.seconds() + " s. A cell is what the peer itself reported (status, frames on the "
                        + "request's stream as nghttp printed them — `+ES` = END_STREAM —, HAProxy's session state, "
                        + "h2load's counts); the verdict compares it with the healthy result for that scenario. Routes "
                        + "an app does not have show up as what the peer got (e.g. 404 / UNIMPLEMENTED). h2spec ran "
                        + "on: " + (run.h2specApps().isEmpty() ? "no app" : String.join(", ", run.h2specApps()))
                        + (full ? "" : " (quick mode: one app per library line, to stay within the CI budget; "
                        + "`--full` runs h2spec on every app)") + ".\n\nVerdicts: **fixed** — the bug's symptom without "
                        + "the agent, the healthy result with it; ok without and with — nothing to fix for this "
                        + "peer; not applicable — the scenario cannot happen on this connector; inconclusive — the "
                        + "peer saw neither the symptom nor the healthy result (e.g. a missing route), so nothing is "
                        + "concluded; peer unavailable — the peer could not run (reason given); **NOT FIXED "
                        + "(regression)** — a gating peer still sees the symptom where the fix is claimed; **WORSE "
                        + "with the agent** — the peer was healthy without the agent and not with it in each of "
                        + Verdicts.REPEAT_RUNS + " runs per side (a first such result runs again on fresh app JVMs, as "
                        + "does a fix seen on an app that does not claim it; when it does not repeat, the verdict is "
                        + "inconclusive and names the counts). "
                        + Claims.summary(catalog)));
        sb.append("\nPeers: ").append(Peers.version(List.of("go", "version"))).append("; grpc-go 1.33 (Debian "
                + "golang-google-grpc-dev); cmux 0.1.5 (Debian); @grpc/grpc-js 1.14.7 (npm, package-lock.json); "
                + "node ").append(Peers.version(List.of("node", "--version"))).append("; ")
                .append(Peers.version(List.of(PeerClients.haproxyExe(), "-v")).replaceAll(" - https.*", ""))
                .append("; ").append(Peers.version(List.of("nghttp", "--version"))).append("; ")
                .append(Peers.version(List.of("curl", "--version")).replaceAll(" \\(.*", "")).append("; h2spec ")
                .append(Peers.version(List.of(Peers.target("h2spec").toString(), "--version"))).append(".\n");
        sb.append(body(rows, h2spec, problems, run.apps(), run.tlsApps()));
        return sb.toString();
    }

    /** Everything after the header: the bug tables, h2spec, the summary and the regressions. */
    static String body(List<InteropRunner.Row> rows, Map<String, String> h2spec, List<String> problems,
                       List<String> apps, List<String> tlsApps) {
        StringBuilder sb = new StringBuilder();
        for (Scenarios.Bug bug : Scenarios.BUGS) {
            sb.append("\n## `").append(bug.fix()).append("`: ")
                    .append(bug.symptom())
                    .append("\n\n| peer | app | without agent | with agent | verdict |\n|---|---|---|---|---|\n");
            for (InteropRunner.Row r : rows) {
                if (r.fix().equals(bug.fix())) {
                    sb.append("| ").append(Markdown.cell(r.peer())).append(" | ").append(r.app()).append(" | `")
                            .append(Markdown.cell(r.without())).append("` | `").append(Markdown.cell(r.with()))
                            .append("` | ").append(r.verdict()).append(" |\n");
                }
            }
        }
        sb.append("\n## h2spec 2.2.0 (`h2spec -o 2`, every case; over TLS `-t -k`)\n\nThe assertion: the same set of "
                + "failing cases without and with the agent. Some cases are timing-sensitive whatever the agent does, "
                + "so while a difference remains both sides run again, up to three runs each: a case fails the suite "
                + "only if it failed in every run with the agent and passed in every run without it; the cells note "
                + "the extra runs, and the failing set without the agent is the union of its runs.\n\n"
                + "| app | without agent | with agent | verdict | failing cases without the agent (section/ordinal) |\n"
                + "|---|---|---|---|---|\n");
        for (String app : apps) {
            for (boolean tls : new boolean[] {false, true}) {
                if (tls && !tlsApps.contains(app)) {
                    continue;
                }
                String label = InteropRunner.label(app, tls);
                String v = h2spec.get(label);
                if (v == null) {
                    sb.append("| ").append(label).append(" | not run: not in this mode's h2spec apps | | | |\n");
                    continue;
                }
                String[] c = v.split("\\|", -1);
                sb.append("| ").append(label).append(" | ").append(c[0]).append(" | ").append(c[1]).append(" | ")
                        .append(c[2]).append(" | ").append(Markdown.cell(c[3])).append(" |\n");
            }
        }
        sb.append("\n## Summary\n\n");
        Markdown.countKinds(rows, InteropRunner.Row::verdict)
                .forEach((k, v) -> sb.append("- ").append(k).append(": ").append(v).append("\n"));
        for (InteropRunner.Row r : rows) {
            if (r.verdict().startsWith("inconclusive") || r.verdict().contains("NOT FIXED")
                    || r.verdict().contains("WORSE")) {
                sb.append("- ").append(r.app()).append(" / ").append(r.fix()).append(" / ")
                        .append(Markdown.cell(r.peer())).append(": ").append(Markdown.cell(r.verdict())).append("\n");
            }
        }
        sb.append("\n## Regressions\n\n").append(problems.isEmpty() ? "None: every fix claimed for an app worked "
                + "for every gating peer that ran, and no result was worse with the agent.\n"
                : "- " + String.join("\n- ", problems) + "\n");
        return sb.toString();
    }
}
