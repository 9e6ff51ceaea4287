package dev.h2patch.cli;

import dev.h2patch.Agent;
import dev.h2patch.CliSupport;
import java.io.PrintStream;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.openmbean.CompositeData;
import javax.management.openmbean.TabularData;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

/**
 * {@code status <pid>}: what h2patch does in a JVM, read from its MBean {@code h2patch:type=Agent} over the target's
 * local JMX connector (started on demand, as jconsole does for a local JVM).
 */
final class StatusCommand {

    static final String OBJECT_NAME = "h2patch:type=Agent";

    static final String HELP = ""
            + "Usage: java -jar h2patch-agent.jar status <pid> [--json]\n"
            + "\n"
            + "Shows what h2patch does in a running JVM: version, mode, how it was loaded, the fixes enabled, the\n"
            + "library versions each fix is active for (or why it was skipped), and the counters per fix since it\n"
            + "was installed (frames folded, SETTINGS sent early, ...; in mode=report the would-* counters).\n"
            + "It reads the MBean h2patch:type=Agent through the JVM's local JMX connector, which it starts if\n"
            + "needed (local connections only, as jconsole does). Exit 9 if h2patch is not active there.\n"
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

    /** The status of h2patch in {@code target}, as the JSON output shows it. */
    static Map<String, Object> read(AttachApi api, Target target) throws CliException {
        AttachApi.Vm vm = target.attach(api);
        try {
            Properties properties = AttachCommand.properties(vm, target);
            if (properties.getProperty("h2patch.version") == null) {
                throw new CliException(ExitCode.NOT_LOADED, "h2patch is not active in " + target.pid
                        + " (no h2patch.version system property); load it with: attach " + target.pid);
            }
            String address;
            try {
                address = vm.startLocalManagementAgent();
            } catch (Exception e) {
                throw new CliException(ExitCode.FAILED, "could not start the local JMX connector of " + target.pid
                        + ": " + e, e);
            }
            JMXConnector connector = null;
            try {
                connector = JMXConnectorFactory.connect(new JMXServiceURL(address));
                MBeanServerConnection server = connector.getMBeanServerConnection();
                ObjectName name = new ObjectName(OBJECT_NAME);
                if (!server.isRegistered(name)) {
                    // Not registered yet (after -javaagent it waits for the application to start): ask for it now.
                    AttachCommand.load(vm, target, AttachCommand.agentJar(), Agent.MBEAN_COMMAND);
                }
                if (!server.isRegistered(name)) {
                    throw new CliException(ExitCode.NOT_LOADED, "h2patch " + properties.getProperty("h2patch.version")
                            + " is active in " + target.pid + " but has no " + OBJECT_NAME + " MBean (its stderr"
                            + " says why)");
                }
                AttributeList attributes = server.getAttributes(name, new String[] {
                    "Version", "Mode", "LoadedBy", "InstalledAt", "Fixes", "ActiveLibraries", "Counters"});
                Map<String, Object> values = new LinkedHashMap<String, Object>();
                for (Attribute attribute : attributes.asList()) {
                    values.put(attribute.getName(), attribute.getValue());
                }
                Map<String, Object> status = new LinkedHashMap<String, Object>();
                status.put("pid", Long.parseLong(target.pid));
                status.put("version", values.get("Version"));
                status.put("mode", values.get("Mode"));
                status.put("loadedBy", values.get("LoadedBy"));
                Object installedAt = values.get("InstalledAt");
                status.put("installedAt", installedAt instanceof Long
                        ? new SimpleDateFormat("yyyy-MM-dd'T'HH:mm:ssXXX").format(new Date((Long) installedAt)) : null);
                status.put("fixes", values.get("Fixes"));
                status.put("libraries", values.get("ActiveLibraries"));
                status.put("counters", group(values.get("Counters")));
                return status;
            } catch (CliException e) {
                throw e;
            } catch (Exception e) {
                throw new CliException(ExitCode.FAILED, "could not read " + OBJECT_NAME + " from " + target.pid
                        + ": " + e, e);
            } finally {
                if (connector != null) {
                    try {
                        connector.close();
                    } catch (Exception ignored) {
                        // closed either way
                    }
                }
            }
        } finally {
            vm.close();
        }
    }

    /** {@code fix.counter -> n} as {@code fix -> {counter -> n}}, fixes in their documented order. */
    static Map<String, Map<String, Long>> group(Object counters) {
        Map<String, Long> flat = new LinkedHashMap<String, Long>();
        if (counters instanceof TabularData) {
            for (Object row : ((TabularData) counters).values()) {
                CompositeData data = (CompositeData) row;
                flat.put(String.valueOf(data.get("key")), ((Number) data.get("value")).longValue());
            }
        }
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
