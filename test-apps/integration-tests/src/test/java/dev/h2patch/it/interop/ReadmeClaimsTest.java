package dev.h2patch.it.interop;

import dev.h2patch.it.Catalog;
import dev.h2patch.it.Repo;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * README.md's fix table and the catalog's {@code fixes} column say the same thing: for each fix and library, the
 * library lines the README names ({@code Netty 4.1/4.2}, {@code Jetty 9.4, 10, 11, 12.0, 12.1}, {@code Jetty 9.4 to
 * 12.1}) are exactly the lines of the catalog's apps of that library that claim the fix. The suites read only the
 * catalog; this test is what keeps the prose from drifting from it.
 */
class ReadmeClaimsTest {

    @Test
    void readmeFixTableAgreesWithTheCatalog() throws IOException {
        Map<String, String> table = fixTable(Files.readAllLines(Repo.root().resolve("README.md")));
        assertEquals(Catalog.FIXES, List.copyOf(table.keySet()), "README.md's fix table rows");
        List<String> problems = disagreements(table, Catalog.apps());
        assertTrue(problems.isEmpty(), "README.md's fix table and test-apps/catalog.txt disagree:\n  "
                + String.join("\n  ", problems));
    }

    @Test
    void aDriftIsCaught() {
        List<Catalog.App> apps = List.of(
                app("netty-server", "Netty", "4.1", Set.of("end-stream")),
                app("netty42-server", "Netty", "4.2", Set.of("end-stream")),
                app("jetty94-server", "Jetty", "9.4", Set.of()),
                app("jetty121-server", "Jetty", "12.1", Set.of("end-stream")));
        Map<String, String> agreeing = Map.of("end-stream", "Netty 4.1/4.2 (plain), Jetty 12.1");
        assertEquals(List.of(), disagreements(agreeing, apps));
        // The README claims end-stream on Jetty 9.4, the catalog does not.
        assertEquals(List.of("`end-stream` on Jetty: README.md says [12.1, 9.4], the catalog's apps claim [12.1]"),
                disagreements(Map.of("end-stream", "Netty 4.1/4.2, Jetty 9.4 to 12.1"), apps));
        // The README does not claim Jetty at all, the catalog does.
        assertEquals(List.of("`end-stream` on Jetty: README.md says [], the catalog's apps claim [12.1]"),
                disagreements(Map.of("end-stream", "Netty 4.1/4.2; Jetty: not yet"), apps));
    }

    @Test
    void linesAndRanges() {
        Set<String> jetty = Set.of("9.4", "10", "11", "12.0", "12.1");
        assertEquals(new TreeSet<>(jetty), readmeLines("Netty 4.1/4.2, Jetty 9.4 to 12.1: stop", "Jetty", jetty));
        assertEquals(new TreeSet<>(Set.of("9.4", "10", "12.1")),
                readmeLines("Jetty 9.4, 10, 12.1 ([docs](x))", "Jetty", jetty));
        assertEquals(new TreeSet<>(Set.of("4.1", "4.2")),
                readmeLines("Netty 4.1/4.2 (plain and grpc-netty-shaded), Jetty 9.4", "Netty", Set.of("4.1", "4.2")));
        assertEquals(new TreeSet<>(), readmeLines("Netty 4.1; Jetty: not yet", "Jetty", jetty));
    }

    // ------------------------------------------------------------------------------------------------ the check

    static Catalog.App app(String name, String library, String line, Set<String> fixes) {
        return new Catalog.App(name, library, line, "v", Set.of("h2c"), fixes, Set.of());
    }

    /** README.md's fix table: fix -> its third cell (where the fix works), rows {@code | `fix` | bug | where |}. */
    static Map<String, String> fixTable(List<String> readme) {
        Map<String, String> rows = new LinkedHashMap<>();
        for (String line : readme) {
            for (String fix : Catalog.FIXES) {
                if (line.startsWith("| `" + fix + "` |")) {
                    String[] c = line.split("\\|", -1);
                    if (c.length >= 4) {
                        rows.put(fix, c[3].strip());
                    }
                }
            }
        }
        return rows;
    }

    /** One line per fix and library where the README's lines and the catalog's claiming apps' lines differ. */
    static List<String> disagreements(Map<String, String> table, List<Catalog.App> apps) {
        Set<String> libraries = new LinkedHashSet<>();
        apps.forEach(a -> libraries.add(a.library()));
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, String> row : table.entrySet()) {
            String fix = row.getKey();
            for (String library : libraries) {
                Set<String> known = new LinkedHashSet<>();
                Set<String> claimed = new TreeSet<>();
                for (Catalog.App a : apps) {
                    if (a.library().equals(library)) {
                        known.add(a.line());
                        if (a.claims(fix)) {
                            claimed.add(a.line());
                        }
                    }
                }
                Set<String> said = readmeLines(row.getValue(), library, known);
                if (!said.equals(claimed)) {
                    problems.add("`" + fix + "` on " + library + ": README.md says " + said
                            + ", the catalog's apps claim " + claimed);
                }
            }
        }
        return problems;
    }

    private static final String V = "\\d+(?:\\.\\d+)?";

    /**
     * The lines of {@code library} a README cell names: the first {@code "LIBRARY "} followed by a list of lines
     * separated by {@code /} or {@code , }, where {@code A to B} is every known line from A to B.
     */
    static Set<String> readmeLines(String cell, String library, Set<String> knownLines) {
        Matcher m = Pattern.compile(Pattern.quote(library) + " (" + V + "(?:(?:/|, | to )" + V + ")*)").matcher(cell);
        Set<String> lines = new TreeSet<>();
        if (!m.find()) {
            return lines;
        }
        for (String item : m.group(1).split("/|, ")) {
            String[] range = item.split(" to ");
            if (range.length == 1) {
                lines.add(range[0]);
            } else {
                for (String known : knownLines) {
                    if (compare(range[0], known) <= 0 && compare(known, range[1]) <= 0) {
                        lines.add(known);
                    }
                }
            }
        }
        return lines;
    }

    static int compare(String a, String b) {
        int[] x = Arrays.stream(a.split("\\.")).mapToInt(Integer::parseInt).toArray();
        int[] y = Arrays.stream(b.split("\\.")).mapToInt(Integer::parseInt).toArray();
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int d = Integer.compare(i < x.length ? x[i] : 0, i < y.length ? y[i] : 0);
            if (d != 0) {
                return d;
            }
        }
        return 0;
    }
}
