package dev.h2patch.it.interop;

import dev.h2patch.it.Catalog;
import dev.h2patch.it.Repo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;

/**
 * The interop suite (docs/interop.md): every bug's scenario against the test apps, with real peers (grpc-go, grpc-go through
 * Go's cmux, grpc-js, HAProxy with Node/grpc-js/nghttp clients, curl, h2load, nghttp, h2spec), each app without and
 * with the agent. Writes docs/interop.md; exits 1 when a fix claimed for an app does not work for a peer that ran
 * (a regression) or when the agent makes a result worse, never because a peer is unavailable.
 *
 * <p>The apps come from the catalog (test-apps/catalog.txt): {@code --quick} runs the apps with the role
 * {@code quick} and h2spec on those with {@code h2spec-quick}; {@code --full} runs every app that starts on its own
 * from its jar. Each app with the catalog's {@code tls} connector runs a second time in its {@code --tls} mode, every
 * peer over TLS with ALPN h2 ({@code --tls-apps a,b} names the apps to run so, e.g. apps whose {@code --tls} mode is
 * tested outside the shared TLS tests; {@code --tls-apps ""}: none). The parts: {@link Scenarios} (bugs and
 * peers), {@link PeerClients} / {@link PeerOutput} (running the peers, reading their output), {@link H2spec},
 * {@link InteropRunner}, {@link Verdicts}, {@link Claims}, {@link InteropReport}.
 *
 * <p>Run by {@code test-apps/interop/run-interop.sh [--quick|--full]} (arguments: {@code --quick|--full}, {@code
 * --apps a,b}, {@code --h2spec-apps a,b}, {@code --tls-apps a,b}, {@code --out docs/interop.md},
 * {@code --command "..."}).
 */
public final class InteropSuite {
    private InteropSuite() {}

    /**
     * {@code --full}: every app started as {@code java -jar APP.jar --port P} with nothing in front: not a relay (it
     * needs a backend) and not a module-path app (started with -p/-m, covered by its integration test).
     */
    static final Predicate<Catalog.App> FULL = a -> !a.hasConnector("relay") && !a.hasConnector("module-path");

    public static void main(String[] args) throws Exception {
        boolean full = false;
        List<String> apps = null;
        List<String> h2specApps = null;
        List<String> tlsApps = null;
        Path out = Repo.root().resolve("docs/interop.md");
        String command = "bash test-apps/interop/run-interop.sh --quick";
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--full" -> full = true;
                case "--quick" -> full = false;
                case "--apps" -> apps = List.of(args[++i].split(","));
                case "--h2spec-apps" -> h2specApps = args[++i].isEmpty() ? List.of() : List.of(args[i].split(","));
                case "--tls-apps" -> tlsApps = args[++i].isEmpty() ? List.of() : List.of(args[i].split(","));
                case "--out" -> out = Path.of(args[++i]);
                case "--command" -> command = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        List<String> fullApps = Catalog.names(FULL).toList();
        if (apps == null) {
            apps = full ? fullApps : Catalog.names(a -> a.hasRole("quick")).toList();
        }
        if (h2specApps == null) {
            List<String> run = apps;
            h2specApps = full ? fullApps : Catalog.names(a -> a.hasRole("h2spec-quick")).filter(run::contains).toList();
        }
        if (tlsApps == null) {
            tlsApps = apps.stream().filter(a -> Catalog.app(a).hasConnector("tls")).toList();
        }
        Freshness.requireFresh(apps);
        InteropRunner runner = new InteropRunner();
        long start = System.nanoTime();
        for (String app : apps) {
            runner.runApp(Catalog.app(app), h2specApps.contains(app), false);
            if (tlsApps.contains(app)) {
                runner.runApp(Catalog.app(app), h2specApps.contains(app), true);
            }
        }
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        InteropReport.Run run = new InteropReport.Run(command, full, fullApps.size(), apps, h2specApps,
                tlsApps.stream().filter(apps::contains).toList(), seconds);
        Files.writeString(out, InteropReport.render(run, runner.rows, runner.h2spec, runner.problems, Catalog.apps()));
        System.out.println("interop: wrote " + out + " (" + runner.rows.size() + " rows, " + seconds + " s)");
        if (!runner.problems.isEmpty()) {
            System.out.println("interop: REGRESSIONS:");
            runner.problems.forEach(p -> System.out.println("  " + p));
            System.exit(1);
        }
    }
}
