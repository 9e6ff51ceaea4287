package dev.h2patch.cli;

import dev.h2patch.CliSupport;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * {@code list}: the local JVMs, with what the attach API tells without loading anything: pid, main class or jar,
 * Java version, whether h2patch is active (version, mode, fixes), and whether Netty, Jetty, Tomcat or Undertow HTTP/2
 * is on the class path ({@link Http2Libraries}).
 */
final class ListCommand {

    static final String HELP = ""
            + "Usage: java -jar h2patch-agent.jar list [--json]\n"
            + "\n"
            + "Lists the local JVMs this user can see: pid, Java version, whether h2patch is active in it (version,\n"
            + "mode, fixes), whether Netty, Jetty, Tomcat or Undertow HTTP/2 is on its class path, and its main\n"
            + "class or jar.\n"
            + "It reads each JVM's system properties over the attach mechanism (as jcmd does) and loads nothing.\n"
            + "JVMs it cannot read (another user, attach disabled) are listed with the reason.\n"
            + "\n"
            + "  --json   one JSON array instead of the table\n";

    private ListCommand() {
    }

    /** What {@code list} knows about one JVM. */
    static final class Jvm {
        String pid;
        String command;
        String java = "?";
        String h2patch;
        String mode;
        String fixes;
        String http2 = "?";
        Set<String> http2Libraries;
        String problem;

        boolean hasHttp2() {
            return http2Libraries != null && !http2Libraries.isEmpty();
        }

        Map<String, Object> toJson() {
            Map<String, Object> json = new LinkedHashMap<String, Object>();
            json.put("pid", Long.parseLong(pid));
            json.put("command", command);
            json.put("java", java);
            Map<String, Object> agent = null;
            if (h2patch != null) {
                agent = new LinkedHashMap<String, Object>();
                agent.put("version", h2patch);
                agent.put("mode", mode);
                agent.put("fixes", fixes == null ? new ArrayList<String>() : splitList(fixes));
            }
            json.put("h2patch", agent);
            json.put("http2", http2Libraries == null ? null : new ArrayList<String>(http2Libraries));
            json.put("problem", problem);
            return json;
        }
    }

    static int run(List<String> args, PrintStream out, PrintStream err) throws CliException {
        boolean json = CliException.onlyJsonFlag("list", args, HELP);
        AttachApi api = AttachApi.load();
        List<Jvm> jvms = inspectAll(api);
        if (json) {
            List<Object> all = new ArrayList<Object>();
            for (Jvm jvm : jvms) {
                all.add(jvm.toJson());
            }
            out.println(Json.write(all));
            return ExitCode.OK;
        }
        List<String[]> rows = new ArrayList<String[]>();
        rows.add(new String[] {"PID", "JAVA", "HTTP/2", "H2PATCH", "FIXES", "MAIN"});
        for (Jvm jvm : jvms) {
            String agent = jvm.problem != null ? "? (" + jvm.problem + ")"
                    : jvm.h2patch == null ? "-" : jvm.h2patch + " " + jvm.mode;
            String fixes = jvm.h2patch == null ? "" : jvm.fixes == null ? "?"
                    : splitList(jvm.fixes).containsAll(CliSupport.fixNames()) ? "all" : jvm.fixes.replace(" ", "");
            rows.add(new String[] {jvm.pid, jvm.java, jvm.http2, agent, fixes, jvm.command});
        }
        int[] widths = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length - 1; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(row[i]);
                for (int pad = row[i].length(); i < row.length - 1 && pad < widths[i] + 2; pad++) {
                    line.append(' ');
                }
            }
            out.println(line);
        }
        if (jvms.isEmpty()) {
            out.println("(no JVMs found: only JVMs of this user are visible, and only those with -XX:+UsePerfData,"
                    + " the default)");
        }
        return ExitCode.OK;
    }

    /** Every local JVM but this one. */
    static List<Jvm> inspectAll(AttachApi api) throws CliException {
        List<String[]> descriptors;
        try {
            descriptors = api.list();
        } catch (Exception e) {
            throw new CliException(ExitCode.FAILED, "could not list the local JVMs: " + e, e);
        }
        String self = Target.selfPid();
        List<Jvm> jvms = new ArrayList<Jvm>();
        for (String[] descriptor : descriptors) {
            if (!descriptor[0].equals(self)) {
                jvms.add(inspect(api, descriptor[0], descriptor[1]));
            }
        }
        return jvms;
    }

    static Jvm inspect(AttachApi api, String pid, String displayName) {
        Jvm jvm = new Jvm();
        jvm.pid = pid;
        jvm.command = displayName == null || displayName.isEmpty() ? "?" : displayName;
        try {
            Target target = Target.of(pid);
            AttachApi.Vm vm = target.attach(api);
            try {
                Properties properties = vm.systemProperties();
                jvm.java = String.valueOf(Target.featureVersion(properties));
                jvm.h2patch = properties.getProperty("h2patch.version");
                jvm.mode = properties.getProperty("h2patch.mode");
                jvm.fixes = properties.getProperty("h2patch.fixes");
                jvm.http2Libraries = Http2Libraries.detect(target, properties);
                jvm.http2 = jvm.http2Libraries.isEmpty() ? "no"
                        : Target.join(new ArrayList<String>(jvm.http2Libraries)).replace(" ", ",");
                if (jvm.command.equals("?")) {
                    jvm.command = properties.getProperty("sun.java.command", "?");
                }
            } finally {
                vm.close();
            }
        } catch (CliException e) {
            jvm.problem = reason(e.exitCode);
        } catch (Exception e) {
            jvm.problem = "unreadable";
        }
        return jvm;
    }

    private static String reason(int exitCode) {
        switch (exitCode) {
            case ExitCode.OTHER_USER: return "another user";
            case ExitCode.ATTACH_DISABLED: return "attach disabled";
            case ExitCode.NO_SUCH_PROCESS: return "exited";
            default: return "not attachable";
        }
    }

    static List<String> splitList(String list) {
        List<String> items = new ArrayList<String>();
        for (String item : list.split(",")) {
            if (!item.trim().isEmpty()) {
                items.add(item.trim());
            }
        }
        return items;
    }
}
