package dev.h2patch.it.interop;

import java.io.IOException;
import java.net.InetAddress;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

/** What the generated docs (docs/interop.md, docs/compatibility.md) share: the header, table cells, verdict counts. */
final class Markdown {
    private Markdown() {}

    /** The header every generated doc starts with: date, machine, Java, the exact command. */
    static String header(String title, String command, String intro) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "?";
        }
        List<String> lines = new ArrayList<>();
        lines.add("# " + title);
        lines.add("");
        lines.add("<!-- Generated; do not edit by hand. Regenerate with: " + command + " -->");
        lines.add("");
        lines.add("Generated " + ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME) + " by `" + command
                + "` on " + host + " (" + Runtime.getRuntime().availableProcessors() + " CPUs as `nproc` sees them, "
                + System.getProperty("os.name") + " " + System.getProperty("os.arch") + "), servers run on Java "
                + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ").");
        lines.add("");
        lines.add(intro);
        lines.add("");
        return String.join("\n", lines);
    }

    /** A table cell: no pipe ends the cell early, no newline ends the row. */
    static String cell(String s) {
        return s.replace("|", "\\|").replace("\n", " ").strip();
    }

    /**
     * The summary's counts: a verdict's kind is its text up to the first colon, without bold markers
     * ({@code "inconclusive: the app has no route"} and {@code "inconclusive: …"} count as one), sorted by kind.
     */
    static <T> Map<String, Integer> countKinds(List<T> rows, Function<T, String> verdict) {
        Map<String, Integer> counts = new TreeMap<>();
        for (T r : rows) {
            counts.merge(kind(verdict.apply(r)), 1, Integer::sum);
        }
        return counts;
    }

    static String kind(String verdict) {
        return verdict.replaceAll(":.*", "").replace("*", "");
    }
}
