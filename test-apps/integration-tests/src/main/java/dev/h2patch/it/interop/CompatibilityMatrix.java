package dev.h2patch.it.interop;

import dev.h2patch.it.Catalog;
import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Exchange;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.Repo;
import dev.h2patch.it.Request;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The version matrix (docs/compatibility.md): each fix's scenario against each library version, without and with the agent, on
 * the wire (the project's raw frame recorder), recorded as fixed / not needed (the bug is absent without the agent) /
 * skipped (with the reason the agent logged) / NOT fixed. Writes docs/compatibility.md; exits 1 when a fix claimed
 * for the app in the catalog (test-apps/catalog.txt, see {@link Claims}) did not work on a version. The versions are
 * the catalog's apps as built ({@link #MATRIX}) plus the other releases its {@code variant} lines build from their
 * sources; the verdicts are {@link Verdicts#matrix}. Each fix's logged decision (active or skipped, on a version) is
 * also checked against the versions it declares ({@link DeclaredRanges}).
 *
 * <p>Versions other than the apps' own are built from the same sources into test-apps/interop/target/variants/ with
 * {@code mvn package -pl test-apps/APP -D<version property>=V -Dh2patch.buildDirectory=DIR} (downloads from Maven
 * Central on first use). Arguments: {@code --only LABEL_SUBSTRING}, {@code --out PATH}, {@code --command "..."}.
 */
public final class CompatibilityMatrix {

    /**
     * One library version: the catalog app that runs on it and, for a version other than the app's own, how to
     * build that jar ({@code buildProps} non-empty).
     */
    record Variant(Catalog.App app, String label, List<String> buildProps) {
        boolean rebuilt() {
            return !buildProps.isEmpty();
        }

        String buildModule() {
            return "test-apps/" + app.name();
        }

        Path jar() {
            if (!rebuilt()) {
                return Repo.appJar(app.name());
            }
            return Peers.target("variants/" + dirName()).resolve(app.name() + ".jar");
        }

        String dirName() {
            String first = buildProps.get(0); // e.g. -Dnetty41.version=4.1.100.Final -> netty-4.1.100.Final
            return app.name() + "-" + first.substring(2, first.indexOf('.')).replaceAll("\\d+$", "") + "-"
                    + first.substring(first.indexOf('=') + 1);
        }
    }

    /**
     * The apps of the matrix, from the catalog: one per library version, the apps that are only the library (no port
     * sniffer, relay or module path in front: those repeat a version that is here already).
     */
    static final Predicate<Catalog.App> MATRIX = a -> !a.hasConnector("sniffer") && !a.hasConnector("relay")
            && !a.hasConnector("module-path");

    /**
     * The versions, in catalog order: each app's other releases (the catalog's {@code variant} lines), then the app
     * as built.
     */
    static List<Variant> variants() {
        for (Catalog.Variant other : Catalog.variants()) {
            if (!MATRIX.test(Catalog.app(other.app()))) {
                throw new IllegalStateException(other.app() + " has a variant in the catalog but is not a matrix app");
            }
        }
        List<Variant> variants = new ArrayList<>();
        for (Catalog.App app : Catalog.apps()) {
            if (!MATRIX.test(app)) {
                continue;
            }
            for (Catalog.Variant other : Catalog.variants()) {
                if (other.app().equals(app.name())) {
                    variants.add(new Variant(app, other.label(),
                            other.properties().stream().map(p -> "-D" + p).toList()));
                }
            }
            variants.add(new Variant(app, asBuiltLabel(app), List.of()));
        }
        return variants;
    }

    /** {@code Jetty 12.1.14 (jetty121-server)}: the version the app is built with, from its pom or the root pom. */
    static String asBuiltLabel(Catalog.App app) {
        // A framework's app (Spring Boot, Vert.x: issue 16) is built at the framework's version, which brings its own
        // Netty or Jetty: its pom names the framework in app.framework, and the label says that framework's version.
        String framework = framework(app);
        String name = framework != null ? framework : app.library();
        return name + " " + pomProperty(app.name(), app.versionProperty()) + " (" + app.name() + ")";
    }

    /** The framework a framework's app is built on ({@code app.framework} in its pom), or null for a library app. */
    static String framework(Catalog.App app) {
        return pomValue(app.name(), "app.framework");
    }

    static String pomProperty(String app, String property) {
        String value = pomValue(app, property);
        return value != null ? value : line(app) + " (pom: " + property + ")";
    }

    /** The value of {@code property} in the app's pom, test-apps/pom.xml or the root pom (the first found), or null. */
    private static String pomValue(String app, String property) {
        Pattern p = Pattern.compile("<" + Pattern.quote(property) + ">([^<]+)</" + Pattern.quote(property) + ">");
        for (Path pom : List.of(Repo.root().resolve("test-apps").resolve(app).resolve("pom.xml"),
                Repo.root().resolve("test-apps/pom.xml"), Repo.root().resolve("pom.xml"))) {
            try {
                Matcher m = p.matcher(Files.readString(pom));
                if (m.find()) {
                    return m.group(1).strip();
                }
            } catch (java.io.IOException e) {
                // next pom
            }
        }
        return null;
    }

    private static String line(String app) {
        return Catalog.app(app).line();
    }

    /**
     * What a scenario saw on one run: the bug or not, or — {@code inconclusive} non-null — that the scenario could not
     * be exercised (a missing route, no response at all), with the reason.
     */
    record Seen(boolean bug, String inconclusive, String evidence) {
        Seen(boolean bug, String evidence) {
            this(bug, null, evidence);
        }
    }

    record Result(Variant variant, String fix, String verdict, String without, String with, String agentLine,
                  boolean regression) {}

    public static void main(String[] args) throws Exception {
        Path out = Repo.root().resolve("docs/compatibility.md");
        String command = "bash test-apps/interop/run-interop.sh --matrix";
        String only = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = Path.of(args[++i]);
                case "--command" -> command = args[++i];
                case "--only" -> only = args[++i];
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        String agentStale = Freshness.agentStale();
        if (agentStale != null) {
            throw new IllegalStateException("the agent jar is stale or missing: " + agentStale
                    + " (mvn -B -q -DskipTests package, or run test-apps/interop/run-interop.sh, which does)");
        }
        DeclaredRanges declared = DeclaredRanges.of(Repo.agentJar());
        long start = System.nanoTime();
        List<Result> results = new ArrayList<>();
        for (Variant v : variants()) {
            if (only != null && !v.label().contains(only) && !v.app().name().contains(only)) {
                for (String fix : Catalog.FIXES) {
                    results.add(new Result(v, fix, "not run: excluded by --only " + only, "", "", "", false));
                }
                continue;
            }
            System.out.println("matrix: " + v.label());
            String buildProblem = ensureBuilt(v);
            for (String fix : Catalog.FIXES) {
                results.add(buildProblem != null
                        ? new Result(v, fix, "not run: " + buildProblem, "", "", "", false)
                        : run(v, fix));
            }
        }
        long seconds = (System.nanoTime() - start) / 1_000_000_000L;
        List<DeclaredRanges.Check> checks = new ArrayList<>();
        for (Result r : results) {
            checks.addAll(declared.check(r.fix(), r.agentLine()));
        }
        Files.writeString(out, render(results, checks, command, seconds));
        System.out.println("matrix: wrote " + out + " (" + seconds + " s)");
        List<Result> bad = results.stream().filter(Result::regression).toList();
        bad.forEach(r -> System.out.println("matrix: REGRESSION " + r.variant().label() + " " + r.fix() + ": "
                + r.without() + " -> " + r.with()));
        List<DeclaredRanges.Check> wrong = checks.stream().filter(c -> c.problem() != null).toList();
        wrong.forEach(c -> System.out.println("matrix: DECLARED RANGE WRONG " + c.fix() + " for " + c.library() + ": "
                + c.problem()));
        if (!bad.isEmpty() || !wrong.isEmpty()) {
            System.exit(1);
        }
    }

    static String ensureBuilt(Variant v) throws Exception {
        String module = v.app().name();
        String stale = Freshness.staleBecause(v.jar(), Freshness.appSources(module));
        if (stale == null) {
            return null;
        }
        if (!v.rebuilt()) {
            // run-interop.sh builds the apps before the matrix; a stale jar here would test old routes.
            return "app jar stale or missing: " + stale + " (mvn -B -q -DskipTests package at the root)";
        }
        System.out.println("matrix: rebuilding " + v.label() + ": " + stale);
        Path dir = v.jar().getParent();
        List<String> cmd = new ArrayList<>(List.of("mvn", "-B", "-q", "package", "-DskipTests", "-pl",
                v.buildModule(), "-Dh2patch.buildDirectory=" + dir));
        cmd.addAll(v.buildProps());
        System.out.println("matrix: building " + String.join(" ", cmd));
        Peers.Run r = Peers.run(cmd, Duration.ofMinutes(10));
        if (r.exit() != 0 || !Files.isRegularFile(v.jar())
                || Freshness.staleBecause(v.jar(), Freshness.appSources(module)) != null) {
            String tail = r.output().lines().filter(l -> l.contains("ERROR")).limit(2).collect(Collectors.joining(" "));
            return "could not build (" + String.join(" ", v.buildProps()) + "): " + tail;
        }
        return null;
    }

    /** A claimed fix that looks broken is run once more before it is called a regression (a loaded machine). */
    static Result run(Variant v, String fix) {
        Result first = runOnce(v, fix);
        if (!first.regression()) {
            return first;
        }
        System.out.println("matrix: " + v.label() + " " + fix + ": " + first.verdict() + ", running it again");
        Result second = runOnce(v, fix);
        return second.regression() ? second : new Result(v, fix, second.verdict() + " (second attempt; the first "
                + "saw: " + first.without() + " → " + first.with() + ")", second.without(), second.with(),
                second.agentLine(), false);
    }

    static Result runOnce(Variant v, String fix) {
        String[] runs = new String[2];
        Seen[] seen = new Seen[2];
        String agentLine = "";
        for (int i = 0; i < 2; i++) {
            ChildJvm.Builder b = ChildJvm.jar(v.jar());
            if (fix.equals("connection-state")) {
                b.appArg("--user-shutdown");
            }
            if (i == 1) {
                b.agent();
            }
            try (ChildJvm child = b.start()) {
                seen[i] = scenario(fix, child);
                if (i == 1) {
                    Thread.sleep(100);
                    agentLine = child.stderrLines().stream()
                            .filter(l -> l.contains(fix + ": active for") || l.contains(fix + ": skipped for"))
                            .map(l -> l.replaceAll("^.*?" + fix + ": ", "").replaceAll(" in \\S*ClassLoader\\S*", ""))
                            .distinct().collect(Collectors.joining("; "));
                }
            } catch (Exception e) {
                return new Result(v, fix, "not run: " + e.getMessage().lines().findFirst().orElse(""), "", "", "",
                        false);
            }
        }
        runs[0] = seen[0].evidence();
        runs[1] = seen[1].evidence();
        Verdicts.Verdict verdict = Verdicts.matrix(fix, v.app().name(), Claims.claimed(fix, v.app()),
                Claims.notApplicable(fix, v.app()), seen[0].bug(), seen[0].inconclusive(), seen[1].bug(),
                seen[1].inconclusive(), agentLine);
        return new Result(v, fix, verdict.text(), runs[0], runs[1],
                agentLine.isEmpty() ? "no line for this fix" : agentLine, verdict.regression());
    }

    static Seen scenario(String fix, ChildJvm child) throws Exception {
        int port = child.port();
        switch (fix) {
            case "end-stream": {
                Exchange e = FrameRecorder.exchange(port, Request.grpc("/h2patch.Test/Fail"));
                List<Frame> resp = e.responseFrames();
                boolean trailersEnd = resp.stream().anyMatch(f -> f.is(Frame.HEADERS) && f.endStream());
                boolean emptyDataEnd = resp.stream().anyMatch(f -> f.is(Frame.DATA) && f.endStream()
                        && f.length() == 0);
                boolean reached = resp.stream().anyMatch(f -> f.is(Frame.HEADERS) && f.header("grpc-status") != null);
                return new Seen(!trailersEnd && emptyDataEnd, reached ? null : "no grpc-status from /h2patch.Test/Fail",
                        shape(resp));
            }
            case "early-settings": {
                try (FrameRecorder r = FrameRecorder.connect(port)) {
                    // 3 s: the bug is "silent until the client speaks", forever; a loaded machine can take >1 s.
                    long at = r.awaitServerSettings(Duration.ofMillis(3000));
                    return new Seen(at < 0, at < 0 ? "no SETTINGS within 3 s of connect (client silent)"
                            : "SETTINGS " + (at / 1_000_000) + " ms after connect, before the client spoke");
                }
            }
            case "connection-state": {
                try (FrameRecorder r = FrameRecorder.connect(port)) {
                    r.sendPreface();
                    List<Integer> ids = new ArrayList<>();
                    for (int i = 0; i < 5; i++) {
                        ids.add(r.request(Request.get("/slow?ms=3000")));
                    }
                    Thread.sleep(1000);
                    String shutdownStatus = null;
                    try {
                        shutdownStatus = FrameRecorder.exchange(port, Request.get("/admin/shutdown"),
                                Duration.ofSeconds(3), Duration.ofMillis(50)).header(":status");
                    } catch (Exception ignored) {
                        // the app may close at once
                    }
                    r.readUntil(f -> false, Duration.ofMillis(5000));
                    long ok = ids.stream().filter(id -> r.streamFrames(id).stream().anyMatch(
                            f -> f.is(Frame.HEADERS) && "200".equals(f.header(":status")))
                            && r.streamFrames(id).stream().anyMatch(Frame::endStream)).count();
                    boolean goaway = r.frames().stream().anyMatch(f -> f.is(Frame.GOAWAY));
                    List<String> other = ids.stream().flatMap(id -> r.streamFrames(id).stream())
                            .filter(f -> f.is(Frame.HEADERS) && f.header(":status") != null
                                    && !"200".equals(f.header(":status")))
                            .map(f -> f.header(":status")).distinct().toList();
                    String inconclusive = !other.isEmpty() ? "/slow answered :status " + String.join(", ", other)
                            : shutdownStatus != null && !shutdownStatus.equals("200")
                            ? "/admin/shutdown answered :status " + shutdownStatus
                            : ok < 5 && !goaway && !r.peerClosed() ? "the app neither answered nor shut down" : null;
                    return new Seen(ok < 5, inconclusive, ok + "/5 in-flight /slow streams answered"
                            + (goaway ? ", GOAWAY" : ", no GOAWAY") + (r.peerClosed() ? ", closed" : "")
                            + (other.isEmpty() ? "" : ", :status " + String.join(", ", other))
                            + (shutdownStatus == null ? "" : "; /admin/shutdown :status " + shutdownStatus));
                }
            }
            case "proxy-safe-reset": {
                try (FrameRecorder r = FrameRecorder.connect(port)) {
                    r.sendPreface();
                    // One message of 1100 bytes, not two empty ones: Tomcat's overhead protection closes a
                    // connection whose client sends two small non-final DATA frames in a row before any answer
                    // (GOAWAY(ENHANCE_YOUR_CALM), with or without the agent), which left this scenario inconclusive
                    // on every Tomcat version (docs/fixes/proxy-safe-reset.md, "Limits (Tomcat)").
                    int id = r.openStream(Request.grpc("/h2patch.Test/RejectUpload", new byte[1095]));
                    r.readFor(Duration.ofMillis(1500));
                    List<Frame> resp = r.streamFrames(id);
                    // Complete: END_STREAM on the trailers or, as Tomcat and Undertow end an answer, on a DATA frame.
                    boolean complete = resp.stream().anyMatch(Frame::endStream);
                    boolean reset = resp.stream().anyMatch(f -> f.is(Frame.RST_STREAM));
                    boolean rejected = resp.stream().anyMatch(f -> f.is(Frame.HEADERS) && f.header("grpc-status") != null);
                    return new Seen(complete && reset, complete && rejected ? null
                            : "no complete gRPC response from /h2patch.Test/RejectUpload", shape(resp)
                            + " (client still sending)");
                }
            }
            default:
                throw new IllegalArgumentException(fix);
        }
    }

    static String shape(List<Frame> frames) {
        List<String> s = new ArrayList<>();
        for (Frame f : frames) {
            if (f.is(Frame.WINDOW_UPDATE)) {
                continue;
            }
            String t = f.type();
            if (f.is(Frame.DATA)) {
                t += "[" + f.length() + "]";
            }
            if (f.is(Frame.HEADERS) && f.header("grpc-status") != null) {
                t += "(grpc-status " + f.header("grpc-status") + ")";
            }
            if (f.is(Frame.RST_STREAM)) {
                t += "(" + Frame.errorName(f.errorCode()) + ")";
            }
            if (f.endStream()) {
                t += "+ES";
            }
            s.add(t);
        }
        return s.isEmpty() ? "no frames on the stream" : String.join(", ", s);
    }

    static String render(List<Result> results, List<DeclaredRanges.Check> checks, String command, long seconds) {
        StringBuilder sb = new StringBuilder(Markdown.header("Compatibility: each fix against each library version",
                command, "Each fix's scenario run on the wire (the project's raw HTTP/2 frame recorder) against a "
                        + "test app built on that version, once without and once with the agent (all fixes, "
                        + "defaults). **fixed**: the bug shows without the agent and not with it; **not needed**: "
                        + "the scenario ran and the bug does not show without the agent; **inconclusive**: the "
                        + "scenario could not be exercised (reason given, e.g. a missing route), nothing is "
                        + "concluded; **not applicable**: the scenario cannot happen there (an HTTP/1.1-first "
                        + "connector waits for the client by design); **skipped**: the agent logged that the fix "
                        + "does not fit this version (its reason is quoted); **not fixed**: the bug shows either way "
                        + "and this fix is not claimed for this app. The last column is the agent's "
                        + "own log line for the fix. " + Claims.summary(Catalog.apps()) + " The run took " + seconds + " s.\n\nScenarios: end-stream — "
                        + "`/h2patch.Test/Fail`, the frames of the response; early-settings — does the server send "
                        + "SETTINGS within 3 s while the client says nothing; connection-state — 5 in-flight "
                        + "`/slow?ms=3000` streams, `/admin/shutdown` 1 s later (app started with "
                        + "`--user-shutdown`); proxy-safe-reset — `/h2patch.Test/RejectUpload` while the client "
                        + "is still sending (one 1100-byte message, no END_STREAM): is there a RST_STREAM after the "
                        + "complete response. Versions beyond the "
                        + "apps' own are built from the same sources into `test-apps/interop/target/variants/`."));
        for (String fix : Catalog.FIXES) {
            sb.append("\n## `").append(fix).append("`\n\n| version | result | without agent | with agent | agent log |\n"
                    + "|---|---|---|---|---|\n");
            for (Result r : results) {
                if (r.fix().equals(fix)) {
                    sb.append("| ").append(Markdown.cell(r.variant().label())).append(" | ")
                            .append(Markdown.cell(r.verdict())).append(" | ").append(Markdown.cell(r.without()))
                            .append(" | ").append(Markdown.cell(r.with())).append(" | ")
                            .append(Markdown.cell(r.agentLine())).append(" |\n");
                }
            }
        }
        sb.append(renderFrameworks(results));
        sb.append("\n## Summary\n\n");
        Markdown.countKinds(results, Result::verdict).forEach((k, n) -> sb.append("- ").append(k).append(": ").append(n).append("\n"));
        for (Result r : results) {
            if (r.verdict().startsWith("inconclusive") || r.verdict().contains("NOT FIXED")
                    || r.verdict().startsWith("not run") || r.verdict().startsWith("skipped")) {
                sb.append("- ").append(Markdown.cell(r.variant().label())).append(" / ").append(r.fix()).append(": ")
                        .append(Markdown.cell(r.verdict())).append("\n");
            }
        }
        long reg = results.stream().filter(Result::regression).count();
        sb.append("\n## Regressions\n\n").append(reg == 0 ? "None.\n" : reg + ", marked above.\n");
        sb.append(renderRanges(checks));
        return sb.toString();
    }

    /**
     * The frameworks section (issue 16): the verdicts above again, one row per framework's app, and where the rest of
     * what was measured on them is (docs/frameworks.md: their other bug shapes, over h2c and TLS).
     */
    static String renderFrameworks(List<Result> results) {
        StringBuilder sb = new StringBuilder("\n## Frameworks\n\nThe apps built on a framework as its users build it "
                + "(the framework's version; the Netty or Jetty it brings is in the agent log column above), with "
                + "the verdicts above. These scenarios are the matrix's; each framework's other bug shapes (an empty "
                + "body written as a stream, a flushed response) and its TLS runs are measured by its own test "
                + "class: [frameworks.md](frameworks.md).\n\n| framework |");
        Catalog.FIXES.forEach(fix -> sb.append(" `").append(fix).append("` |"));
        sb.append("\n|---|").append("---|".repeat(Catalog.FIXES.size())).append("\n");
        List<Variant> done = new ArrayList<>();
        for (Result r : results) {
            Variant v = r.variant();
            if (framework(v.app()) == null || done.contains(v)) {
                continue;
            }
            done.add(v);
            sb.append("| ").append(Markdown.cell(v.label())).append(" |");
            for (String fix : Catalog.FIXES) {
                String verdict = results.stream().filter(x -> x.variant().equals(v) && x.fix().equals(fix))
                        .map(Result::verdict).findFirst().orElse("not run");
                sb.append(" ").append(Markdown.cell(verdict)).append(" |");
            }
            sb.append("\n");
        }
        return sb.toString();
    }

    /** The declared-range section: each logged decision against the versions the fix declares. */
    static String renderRanges(List<DeclaredRanges.Check> checks) {
        StringBuilder sb = new StringBuilder("\n## Declared versions\n\nEach fix implementation declares the library "
                + "versions it serves (`java -jar h2patch-agent.jar fixes`). Each decision in the agent log column "
                + "above that names a version is checked against that declaration: active inside it, skipped "
                + "outside it. ");
        long active = checks.stream().filter(DeclaredRanges.Check::active).count();
        List<DeclaredRanges.Check> wrong = checks.stream().filter(c -> c.problem() != null).toList();
        sb.append(checks.size()).append(" decisions checked (").append(active).append(" active, ")
                .append(checks.size() - active).append(" skipped): ")
                .append(wrong.isEmpty() ? "all agree.\n" : wrong.size() + " disagree:\n\n");
        for (DeclaredRanges.Check c : wrong) {
            sb.append("- `").append(c.fix()).append("` for ").append(Markdown.cell(c.library())).append(": ")
                    .append(Markdown.cell(c.problem())).append("\n");
        }
        return sb.toString();
    }
}
