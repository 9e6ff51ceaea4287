package dev.h2patch.it.harness;

import dev.h2patch.it.Catalog;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The apps the integration tests run, chosen from the catalog (test-apps/catalog.txt, {@link Catalog}): a test names
 * the fix and library it checks, and runs on every app that claims it, so a new app is tested by adding its catalog
 * line. A test that needs one particular app names it through {@link #app}, which fails when the catalog lost it.
 */
public final class TestApps {
    /** The plain Netty 4.1 app: the one the delivery tests (attach, CLI, wrapper, output) start. */
    public static final String NETTY = app("netty-server");

    private TestApps() {}

    /**
     * The apps of {@code library} that claim {@code fix} and start with {@code java -jar}, in catalog order (the
     * module-path apps are started by ModulePathTest).
     */
    public static Stream<String> claiming(String library, String fix) {
        return claiming(library, fix, a -> true);
    }

    /** {@link #claiming(String, String)}, narrowed by {@code also}. */
    public static Stream<String> claiming(String library, String fix, Predicate<Catalog.App> also) {
        return Catalog.names(a -> a.library().equals(library) && a.claims(fix) && a.runsAsJar() && also.test(a));
    }

    /** {@code name}, checked against the catalog. */
    public static String app(String name) {
        return Catalog.app(name).name();
    }

    /** The one app of {@code library} with {@code connector}; fails unless the catalog has exactly one. */
    public static String only(String library, String connector, boolean asJar) {
        List<String> found = Catalog.names(a -> a.library().equals(library) && a.hasConnector(connector)
                && a.runsAsJar() == asJar).collect(Collectors.toList());
        if (found.size() != 1) {
            throw new IllegalStateException("expected one " + library + " app with connector " + connector
                    + (asJar ? "" : " on the module path") + " in test-apps/catalog.txt, found " + found);
        }
        return found.get(0);
    }

    /** The library of {@code app}: Netty, Jetty, grpc-java. */
    public static String library(String app) {
        return Catalog.app(app).library();
    }
}
