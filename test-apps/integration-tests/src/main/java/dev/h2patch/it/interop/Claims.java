package dev.h2patch.it.interop;

import dev.h2patch.it.Repo;

import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * What the README's fix table claims, read from README.md at run time so the suite's "claimed" cells cannot drift
 * from it: a row {@code | `fix` | bug | status |}; Netty is claimed when the status names Netty, Jetty when it names
 * Jetty and does not say "Jetty: not yet". early-settings on Jetty is claimed only for connectors that can speak
 * first (h2c-only and detecting connectors, docs/fixes/early-settings.md): an HTTP/1.1-first connector waits for the
 * client by design, so the scenario is "not applicable" there.
 */
final class Claims {
    private Claims() {}

    /** Apps whose (only) connector is HTTP/1.1 first, h2c by preface or upgrade: they cannot speak first. */
    static final Set<String> HTTP11_FIRST = Set.of("jetty94-server", "jetty10-server", "jetty11-server",
            "jetty120-server", "jetty121-server");
    /** A real grpc-java server: nothing to fix, no scenario routes beyond gRPC. */
    static final String GRPC_SERVER = "grpc-server";

    static final java.util.List<String> FIXES = java.util.List.of("end-stream", "connection-state", "early-settings",
            "proxy-safe-reset");

    private static Map<String, String> rows;

    /** fix -> the README's status cell ("" when the row is missing). */
    static synchronized Map<String, String> readme() {
        if (rows == null) {
            rows = new LinkedHashMap<>();
            try {
                for (String line : Files.readAllLines(Repo.root().resolve("README.md"))) {
                    if (line.startsWith("| `") && FIXES.stream().anyMatch(f -> line.startsWith("| `" + f + "` |"))) {
                        String[] c = line.split("\\|", -1);
                        if (c.length >= 4) {
                            rows.put(c[1].strip().replace("`", ""), c[3].strip());
                        }
                    }
                }
            } catch (IOException e) {
                throw new IllegalStateException("cannot read README.md", e);
            }
        }
        return rows;
    }

    static boolean netty(String fix) {
        return readme().getOrDefault(fix, "").contains("Netty");
    }

    static boolean jetty(String fix) {
        String s = readme().getOrDefault(fix, "");
        return s.contains("Jetty") && !s.contains("Jetty: not yet");
    }

    static boolean isJetty(String app) {
        return app.startsWith("jetty");
    }

    /** Not applicable: early-settings needs a connector that can speak first. */
    static boolean notApplicable(String fix, String app) {
        return fix.equals("early-settings") && HTTP11_FIRST.contains(app);
    }

    /** Does the README claim {@code fix} for the library {@code app} runs on (a library line: Netty or Jetty)? */
    static boolean claimed(String fix, String app) {
        if (app.equals(GRPC_SERVER) || notApplicable(fix, app)) {
            return false;
        }
        return isJetty(app) ? jetty(fix) : netty(fix);
    }

    /** One line for the generated docs: which claims this run used. */
    static String summary() {
        StringBuilder sb = new StringBuilder();
        for (String fix : readme().keySet()) {
            sb.append(sb.length() == 0 ? "" : "; ").append('`').append(fix).append("`: ")
                    .append(netty(fix) ? "Netty" : "").append(netty(fix) && jetty(fix) ? " + " : "")
                    .append(jetty(fix) ? (fix.equals("early-settings") ? "Jetty (h2c/detecting connectors)" : "Jetty")
                            : "");
        }
        return "Claims checked (read from README.md's fix table at run time): " + sb + ".";
    }
}
