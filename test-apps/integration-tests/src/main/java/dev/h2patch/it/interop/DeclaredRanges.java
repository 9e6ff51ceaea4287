package dev.h2patch.it.interop;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The library versions each fix implementation declares ({@code java -jar h2patch-agent.jar fixes --json}), checked
 * against what the agent did on a real library: a fix the agent logged as active on a version must declare it, and a
 * fix it skipped must not. The declarations are what an operator reads before deploying and what CONTRIBUTING.md asks
 * a new fix for; the fit checks (exact signatures) are what really decides, so the matrix keeps the two honest.
 */
final class DeclaredRanges {

    /** One implementation: its fix name, library line as logged, and its ranges, each {from inclusive, until exclusive}. */
    record Declared(String fix, String library, List<String[]> ranges) {
        boolean declares(String version) {
            for (String[] range : ranges) {
                if (compare(version, range[0]) >= 0 && compare(version, range[1]) < 0) {
                    return true;
                }
            }
            return false;
        }

        String rangesText() {
            List<String> text = new ArrayList<>();
            for (String[] range : ranges) {
                text.add("[" + range[0] + ", " + range[1] + ")");
            }
            return String.join(" ", text);
        }
    }

    private static final Pattern ENTRY = Pattern.compile(
            "\\{\"fix\":\"([^\"]+)\",\"library\":\"([^\"]+)\",\"versions\":\\[([^\\]]*)]");
    private static final Pattern RANGE = Pattern.compile("\\{\"from\":\"([^\"]+)\",\"until\":\"([^\"]+)\"}");

    private final List<Declared> declared;

    private DeclaredRanges(List<Declared> declared) {
        this.declared = declared;
    }

    List<Declared> declared() {
        return declared;
    }

    /** Runs the agent jar's {@code fixes --json}, as an operator would. */
    static DeclaredRanges of(Path agentJar) throws IOException, InterruptedException {
        Peers.Run run = Peers.run(List.of(javaCommand(), "-jar", agentJar.toString(), "fixes", "--json"),
                Duration.ofSeconds(60));
        if (run.exit() != 0) {
            throw new IOException("java -jar " + agentJar + " fixes --json exited " + run.exit() + ": " + run.output());
        }
        return parse(run.output());
    }

    private static String javaCommand() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    static DeclaredRanges parse(String json) {
        List<Declared> declared = new ArrayList<>();
        Matcher entry = ENTRY.matcher(json);
        while (entry.find()) {
            List<String[]> ranges = new ArrayList<>();
            Matcher range = RANGE.matcher(entry.group(3));
            while (range.find()) {
                ranges.add(new String[] {range.group(1), range.group(2)});
            }
            declared.add(new Declared(entry.group(1), entry.group(2), ranges));
        }
        if (declared.isEmpty()) {
            throw new IllegalArgumentException("no fix in the output of fixes --json: " + json);
        }
        return new DeclaredRanges(declared);
    }

    /** One check of a logged decision: {@code problem} null when it agrees with the declaration. */
    record Check(String fix, String library, String version, boolean active, String problem) {}

    /**
     * The checks of one agent log line for {@code fix} (its pieces joined by "; ": "active for LIBRARY (VERSION)" or
     * "skipped for LIBRARY (VERSION) reason"). A piece without a version (the library's version could not be read, as
     * where the fix's artifact is absent) cannot be checked and gives none.
     */
    List<Check> check(String fix, String agentLine) {
        List<Check> checks = new ArrayList<>();
        for (String piece : agentLine.split("; ")) {
            for (Declared d : declared) {
                if (!d.fix().equals(fix)) {
                    continue;
                }
                for (boolean active : new boolean[] {true, false}) {
                    String prefix = (active ? "active for " : "skipped for ") + d.library() + " (";
                    if (!piece.startsWith(prefix) || piece.indexOf(')', prefix.length()) < 0) {
                        continue;
                    }
                    String version = piece.substring(prefix.length(), piece.indexOf(')', prefix.length()));
                    if (!version.matches("\\d+(\\.\\d+)*.*")) {
                        continue;
                    }
                    boolean declares = d.declares(version);
                    String problem = null;
                    if (active && !declares) {
                        problem = "active on " + version + ", outside its declared " + d.rangesText();
                    } else if (!active && declares) {
                        problem = "skipped on " + version + ", inside its declared " + d.rangesText();
                    }
                    checks.add(new Check(fix, d.library(), version, active, problem));
                }
            }
        }
        return checks;
    }

    /**
     * Compares two versions by their leading numeric components ({@code 4.1.100.Final} is 4.1.100,
     * {@code 9.4.58.v20250814} is 9.4.58); missing components count as 0, so {@code 4.3} is {@code 4.3.0}.
     */
    static int compare(String a, String b) {
        long[] x = numbers(a);
        long[] y = numbers(b);
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            long p = i < x.length ? x[i] : 0;
            long q = i < y.length ? y[i] : 0;
            if (p != q) {
                return Long.compare(p, q);
            }
        }
        return 0;
    }

    private static long[] numbers(String version) {
        List<Long> parts = new ArrayList<>();
        for (String part : version.split("\\.")) {
            if (!part.matches("\\d+")) {
                break;
            }
            parts.add(Long.parseLong(part));
        }
        return parts.stream().mapToLong(Long::longValue).toArray();
    }
}
