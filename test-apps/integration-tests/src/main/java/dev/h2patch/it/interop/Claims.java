package dev.h2patch.it.interop;

import dev.h2patch.it.Catalog;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Which fixes are claimed for which app: data, read from the catalog (test-apps/catalog.txt), never from prose. An
 * app's {@code fixes} column lists the fixes claimed for it; its {@code connectors} column says whether the scenario
 * can happen there at all: early-settings needs a connector that can speak first, and an HTTP/1.1-first connector
 * waits for the client by design (docs/fixes/early-settings.md), so the scenario is "not applicable" on an app whose
 * connector is {@code http11-first} when it runs over h2c; over TLS, ALPN picks h2 before the first HTTP/2 byte, so
 * the server can speak first there and the scenario applies. README.md's fix table says the same in prose;
 * ReadmeClaimsTest fails when the two disagree.
 */
final class Claims {
    private Claims() {}

    /** Not applicable: early-settings needs a connector that can speak first. */
    static boolean notApplicable(String fix, Catalog.App app) {
        return notApplicable(fix, app, false);
    }

    /** {@link #notApplicable(String, Catalog.App)} for the app run over h2c, or with {@code tls} over TLS. */
    static boolean notApplicable(String fix, Catalog.App app, boolean tls) {
        return !tls && fix.equals("early-settings") && app.hasConnector("http11-first");
    }

    /** Is {@code fix} claimed for {@code app} (and can its scenario happen there)? */
    static boolean claimed(String fix, Catalog.App app) {
        return claimed(fix, app, false);
    }

    /** {@link #claimed(String, Catalog.App)} for the app run over h2c, or with {@code tls} over TLS. */
    static boolean claimed(String fix, Catalog.App app, boolean tls) {
        return app.claims(fix) && !notApplicable(fix, app, tls);
    }

    /**
     * Per fix, the libraries it is claimed for: {@code Netty + Jetty (h2c/detecting connectors)}, the note when some
     * of the library's claiming apps cannot run the scenario (an HTTP/1.1-first connector).
     */
    static String libraries(String fix, List<Catalog.App> apps) {
        Set<String> libraries = new LinkedHashSet<>();
        for (Catalog.App a : apps) {
            if (a.claims(fix)) {
                libraries.add(a.library());
            }
        }
        List<String> parts = new ArrayList<>();
        for (String library : libraries) {
            boolean somewhereNot = apps.stream().anyMatch(a -> a.library().equals(library) && a.claims(fix)
                    && notApplicable(fix, a));
            parts.add(library + (somewhereNot ? " (h2c/detecting connectors)" : ""));
        }
        return String.join(" + ", parts);
    }

    /** One line for the generated docs: which claims this run used. */
    static String summary(List<Catalog.App> apps) {
        StringBuilder sb = new StringBuilder();
        for (String fix : Catalog.FIXES) {
            sb.append(sb.length() == 0 ? "" : "; ").append('`').append(fix).append("`: ")
                    .append(libraries(fix, apps));
        }
        return "Claims checked (test-apps/catalog.txt's `fixes` column, which a unit test keeps equal to README.md's "
                + "fix table): " + sb + ".";
    }
}
