package dev.h2patch.cli;

import dev.h2patch.Agent;
import dev.h2patch.CliSupport;
import dev.h2patch.H2patchMXBean;
import java.io.PrintStream;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * {@code status <pid>}: what h2patch does in a JVM, as the agent there writes it into a file private to the calling
 * user ({@link StatusFile}) when asked with {@value Agent#STATUS_COMMAND}PATH. Nothing is opened in the target: no
 * JMX connector, no port (the JMX way, {@code startLocalManagementAgent()}, left a connector listening for the
 * target's whole life).
 */
final class StatusCommand {

    static final String HELP = ""
            + "Usage: java -jar h2patch-agent.jar status <pid> [--json]\n"
            + "\n"
            + "Shows what h2patch does in a running JVM: version, mode, how it was loaded, the fixes enabled, the\n"
            + "library versions each fix is active for (or why it was skipped), and the counters per fix since it\n"
            + "was installed (frames folded, SETTINGS sent early, ...; in mode=report the would-* counters).\n"
            + "The agent there writes its state into a file only you can read (in a private directory of the\n"
            + "JVM's temporary directory), which this command reads and deletes; nothing is opened in the JVM\n"
            + "(no JMX connector, no port). Exit 9 if h2patch is not active there.\n"
            + "\n"
            + "  --json   one JSON object instead of the text\n";

    private StatusCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) throws CliException {
        boolean json = false;
        String pid = null;
        for (String arg : args) {
            if (arg.equals("--json")) {
                json = true;
            } else if (pid == null && !arg.startsWith("-")) {
                pid = arg;
            } else {
                throw new CliException(ExitCode.USAGE, "status: unexpected argument '" + arg + "'\n\n" + HELP);
            }
        }
        if (pid == null) {
            throw new CliException(ExitCode.USAGE, "status: which pid?\n\n" + HELP);
        }
        Target target = Target.of(pid);
        Map<String, Object> status = read(AttachApi.load(), target);
        if (json) {
            out.println(Json.write(status));
        } else {
            print(status, out);
        }
        return ExitCode.OK;
    }

    /**
     * The status of h2patch in {@code target}, as the JSON output shows it. The agent already in the target is loaded
     * once more with {@value Agent#STATUS_COMMAND}PATH and writes its state into PATH ({@link StatusFile}); nothing is
     * started or opened in the target (no JMX connector, no port).
     */
    static Map<String, Object> read(AttachApi api, Target target) throws CliException {
        AttachApi.Vm vm = target.attach(api);
        try {
            Properties properties = AttachCommand.properties(vm, target);
            String active = properties.getProperty("h2patch.version");
            if (active == null) {
                throw new CliException(ExitCode.NOT_LOADED, "h2patch is not active in " + target.pid
                        + " (no h2patch.version system property); load it with: attach " + target.pid);
            }
            Properties state;
            StatusFile file = StatusFile.create(target, properties);
            try {
                try {
                    AttachCommand.load(vm, target, AttachCommand.agentJar(), Agent.STATUS_COMMAND + file.targetPath);
                } catch (CliException e) {
                    if (e.exitCode != ExitCode.DYNAMIC_AGENTS_DISABLED) {
                        throw e;
                    }
                    throw new CliException(e.exitCode, "the JVM " + target.pid + " refuses agents loaded at run time"
                            + " (-XX:-EnableDynamicAgentLoading), and status asks h2patch there by loading the jar"
                            + " once more: it cannot be asked. h2patch " + active + " is active there; its MBean "
                            + H2patchMXBean.OBJECT_NAME + " is visible to the application's own JMX clients if the"
                            + " JVM's MBean server existed when h2patch started", e);
                }
                state = file.read();
            } finally {
                file.delete();
            }
            if (state.isEmpty()) {
                throw new CliException(ExitCode.FAILED, "h2patch " + active + " is active in " + target.pid
                        + " but did not answer the status request"
                        + (active.equals(Agent.version()) ? " (its stderr says why)"
                        : " (version " + active + " may not support it: run status with that version's jar)"));
            }
            if (!"true".equals(state.getProperty("active"))) {
                throw new CliException(ExitCode.NOT_LOADED, "h2patch is not active in " + target.pid
                        + "; load it with: attach " + target.pid);
            }
            Map<String, Object> status = new LinkedHashMap<String, Object>();
            status.put("pid", Long.parseLong(target.pid));
            status.put("version", state.getProperty("version"));
            status.put("mode", state.getProperty("mode"));
            status.put("loadedBy", state.getProperty("loadedBy"));
            String installedAt = state.getProperty("installedAt");
            status.put("installedAt", installedAt == null ? null
                    : new SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ssXXX").format(new Date(Long.parseLong(installedAt))));
            status.put("fixes", list(state, "fixes"));
            status.put("libraries", list(state, "libraries"));
            Map<String, Long> counters = new LinkedHashMap<String, Long>();
            int count = Integer.parseInt(state.getProperty("counters.count", "0"));
            for (int i = 0; i < count; i++) {
                counters.put(state.getProperty("counters." + i + ".name"),
                        Long.parseLong(state.getProperty("counters." + i + ".value")));
            }
            status.put("counters", group(counters));
            return status;
        } catch (CliException e) {
            throw e;
        } catch (Exception e) {
            throw new CliException(ExitCode.FAILED, "could not read the status of h2patch in " + target.pid + ": " + e,
                    e);
        } finally {
            vm.close();
        }
    }

    private static String[] list(Properties state, String key) {
        String[] items = new String[Integer.parseInt(state.getProperty(key + ".count", "0"))];
        for (int i = 0; i < items.length; i++) {
            items[i] = state.getProperty(key + "." + i);
        }
        return items;
    }

    /** {@code fix.counter -> n} as {@code fix -> {counter -> n}}, fixes in their documented order. */
    static Map<String, Map<String, Long>> group(Map<String, Long> counters) {
        Map<String, Long> flat = counters == null ? new LinkedHashMap<String, Long>() : counters;
        Map<String, Map<String, Long>> grouped = new LinkedHashMap<String, Map<String, Long>>();
        List<String> order = new ArrayList<String>(CliSupport.fixNames());
        for (String name : flat.keySet()) {
            String fix = name.contains(".") ? name.substring(0, name.indexOf('.')) : name;
            if (!order.contains(fix)) {
                order.add(fix);
            }
        }
        for (String fix : order) {
            for (Map.Entry<String, Long> entry : flat.entrySet()) {
                String name = entry.getKey();
                if (name.startsWith(fix + ".")) {
                    Map<String, Long> forFix = grouped.get(fix);
                    if (forFix == null) {
                        forFix = new LinkedHashMap<String, Long>();
                        grouped.put(fix, forFix);
                    }
                    forFix.put(name.substring(fix.length() + 1), entry.getValue());
                }
            }
        }
        return grouped;
    }

    @SuppressWarnings("unchecked")
    private static void print(Map<String, Object> status, PrintStream out) {
        out.println("h2patch " + status.get("version") + " in pid " + status.get("pid") + ": mode="
                + status.get("mode") + ", loaded by " + status.get("loadedBy") + " at " + status.get("installedAt"));
        out.println("fixes enabled: " + join((String[]) status.get("fixes")));
        out.println("libraries:");
        String[] libraries = (String[]) status.get("libraries");
        if (libraries == null || libraries.length == 0) {
            out.println("  (none matched yet: a fix becomes active when its library's classes are loaded)");
        } else {
            for (String line : libraries) {
                out.println("  " + line);
            }
        }
        out.println("counters (since installed):");
        for (Map.Entry<String, Map<String, Long>> fix
                : ((Map<String, Map<String, Long>>) status.get("counters")).entrySet()) {
            StringBuilder line = new StringBuilder();
            for (Map.Entry<String, Long> counter : fix.getValue().entrySet()) {
                line.append(line.length() == 0 ? "" : "  ").append(counter.getKey()).append('=')
                        .append(counter.getValue());
            }
            out.printf("  %-18s %s%n", fix.getKey(), line);
        }
    }

    private static String join(String[] items) {
        StringBuilder text = new StringBuilder();
        if (items != null) {
            for (String item : items) {
                text.append(text.length() == 0 ? "" : ", ").append(item);
            }
        }
        return text.toString();
    }
}
