package dev.h2patch.cli;

import dev.h2patch.CliSupport;
import dev.h2patch.Fix;
import dev.h2patch.TypePatch;
import dev.h2patch.VersionRange;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code fixes}: what this jar can fix, as its fix modules declare it (no JVM is touched). */
final class FixesCommand {

    static final String HELP = ""
            + "Usage: java -jar h2patch-agent.jar fixes [--json]\n"
            + "\n"
            + "Lists every fix implementation in this jar: the fix name, the library line it is written for, the\n"
            + "library versions it is written and checked for ([from, until)), and the classes it advises. Where a\n"
            + "library's classes do not fit (another version), the agent skips that implementation with one log line.\n"
            + "  --json   one JSON array instead of the table\n";

    private FixesCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) throws CliException {
        boolean json = CliException.onlyJsonFlag("fixes", args, HELP);
        List<Fix> fixes = CliSupport.fixes();
        if (json) {
            List<Object> rows = new ArrayList<Object>();
            for (Fix fix : fixes) {
                Map<String, Object> row = new LinkedHashMap<String, Object>();
                row.put("fix", fix.name());
                row.put("library", fix.library());
                List<Object> versions = new ArrayList<Object>();
                for (VersionRange range : fix.versions()) {
                    Map<String, Object> r = new LinkedHashMap<String, Object>();
                    r.put("from", range.from());
                    r.put("until", range.until());
                    versions.add(r);
                }
                row.put("versions", versions);
                row.put("implementation", fix.getClass().getName());
                row.put("types", types(fix));
                rows.add(row);
            }
            out.println(Json.write(rows));
            return ExitCode.OK;
        }
        out.println(String.format("%-17s %-48s %-40s %s", "FIX", "LIBRARY", "VERSIONS", "IMPLEMENTATION"));
        for (Fix fix : fixes) {
            StringBuilder versions = new StringBuilder();
            for (VersionRange range : fix.versions()) {
                versions.append(versions.length() == 0 ? "" : " ").append(range);
            }
            out.println(String.format("%-17s %-48s %-40s %s", fix.name(), fix.library(), versions,
                    fix.getClass().getSimpleName()));
        }
        return ExitCode.OK;
    }

    private static List<String> types(Fix fix) {
        List<String> types = new ArrayList<String>();
        for (TypePatch patch : fix.patches()) {
            types.add(patch.typeName());
        }
        return types;
    }
}
