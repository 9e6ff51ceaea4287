package dev.h2patch.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The catalog of test apps, {@code test-apps/catalog.txt}: which app runs which library line, how it accepts HTTP/2,
 * which fixes are claimed for it and where else it is used. Tests, the interop suite, the compatibility matrix, the
 * benchmark and the demo choose their apps here, never from a list of their own.
 */
public final class Catalog {

    /** The stable fix names, in the order the docs use. */
    public static final List<String> FIXES = List.of("end-stream", "connection-state", "early-settings",
            "proxy-safe-reset");

    /** The connector of the apps run as named modules: {@code java -p ... -m MODULE/MAIN}. */
    public static final String MODULE_PATH = "module-path";

    /** One line of the catalog. */
    public record App(String name, String library, String line, String versionProperty, Set<String> connectors,
                      Set<String> fixes, Set<String> roles) {

        public boolean hasConnector(String connector) {
            return connectors.contains(connector);
        }

        /** The connector its main port has by default (the first one listed after module-path). */
        public String mainConnector() {
            return connectors.stream().filter(c -> !c.equals(MODULE_PATH)).findFirst().orElse("");
        }

        /**
         * Started as {@code java -jar test-apps/APP/target/APP.jar} (ChildJvm.app); a module-path app is started
         * as named modules instead (ChildJvm.module).
         */
        public boolean runsAsJar() {
            return !connectors.contains(MODULE_PATH);
        }

        /** Without the agent the app shows {@code fix}'s bug, and the agent is claimed to remove it. */
        public boolean claims(String fix) {
            return fixes.contains(fix);
        }

        public boolean hasRole(String role) {
            return roles.contains(role);
        }

        /** {@code "Jetty 12.1"}, {@code "Netty 4.2"}. */
        public String libraryLine() {
            return library + " " + line;
        }
    }

    /**
     * Another release of an app's library, for the compatibility matrix: built from {@code app}'s sources with
     * {@code properties} ({@code name=value}, the version properties to override), named {@code label}.
     */
    public record Variant(String app, List<String> properties, String label) {}

    /** What a catalog file holds: the apps, and the other releases the matrix builds from them. */
    public record Contents(List<App> apps, List<Variant> variants) {}

    private static final String VARIANT = "variant";

    private static volatile Contents contents;

    private Catalog() {}

    /** Every app, in catalog order. */
    public static List<App> apps() {
        return contents().apps();
    }

    /** The matrix's other releases, in catalog order. */
    public static List<Variant> variants() {
        return contents().variants();
    }

    private static Contents contents() {
        Contents loaded = contents;
        if (loaded == null) {
            loaded = read(Repo.root().resolve("test-apps").resolve("catalog.txt"));
            contents = loaded;
        }
        return loaded;
    }

    /** The app called {@code name}; fails when the catalog has no such app. */
    public static App app(String name) {
        return apps().stream().filter(a -> a.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no app " + name + " in test-apps/catalog.txt"));
    }

    /** The names of the apps that match {@code filter}, in catalog order. */
    public static Stream<String> names(Predicate<App> filter) {
        return apps().stream().filter(filter).map(App::name);
    }

    /** The names of the apps of {@code library} for which {@code fix} is claimed. */
    public static Stream<String> claiming(String library, String fix) {
        return names(a -> a.library().equals(library) && a.claims(fix));
    }

    /**
     * Reads a catalog file: one app per line, {@code #} comments, columns as described in the file's header; lines
     * that start with {@code variant} are the matrix's other releases.
     */
    public static Contents read(Path file) {
        try {
            return parseContents(Files.readAllLines(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the catalog of test apps " + file, e);
        }
    }

    static List<App> parse(List<String> lines) {
        return parseContents(lines).apps();
    }

    static Contents parseContents(List<String> lines) {
        List<App> parsed = new ArrayList<>();
        List<Variant> variants = new ArrayList<>();
        int number = 0;
        for (String raw : lines) {
            number++;
            String line = raw.strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] c = line.split("\\s+");
            if (c[0].equals(VARIANT)) {
                variants.add(variant(number, raw, line.split("\\s+", 4)));
                continue;
            }
            if (c.length != 7) {
                throw new IllegalArgumentException("catalog line " + number + " has " + c.length
                        + " columns, expected 7 (app library line version connectors fixes roles): " + raw);
            }
            Set<String> fixes = list(c[5]);
            for (String fix : fixes) {
                if (!FIXES.contains(fix)) {
                    throw new IllegalArgumentException("catalog line " + number + ": unknown fix " + fix);
                }
            }
            parsed.add(new App(c[0], c[1], c[2], c[3], list(c[4]), fixes, list(c[6])));
        }
        for (Variant v : variants) {
            if (parsed.stream().noneMatch(a -> a.name().equals(v.app()))) {
                throw new IllegalArgumentException("catalog: variant of " + v.app() + ", which is not an app");
            }
        }
        return new Contents(Collections.unmodifiableList(parsed), Collections.unmodifiableList(variants));
    }

    private static Variant variant(int number, String raw, String[] c) {
        if (c.length != 4) {
            throw new IllegalArgumentException("catalog line " + number
                    + ": expected variant APP PROPERTY=VALUE[,...] LABEL: " + raw);
        }
        List<String> properties = List.of(c[2].split(","));
        for (String property : properties) {
            if (!property.matches("[\\w.-]+=[\\w.-]+")) {
                throw new IllegalArgumentException("catalog line " + number + ": not PROPERTY=VALUE: " + property);
            }
        }
        return new Variant(c[1], properties, c[3].strip());
    }

    private static Set<String> list(String column) {
        if (column.equals("-")) {
            return Set.of();
        }
        Set<String> values = Arrays.stream(column.split(","))
                .collect(Collectors.toCollection(java.util.LinkedHashSet::new));
        return Collections.unmodifiableSet(values);
    }
}
