package dev.h2patch.cli;

import dev.h2patch.Agent;
import dev.h2patch.CliSupport;
import java.io.File;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * {@code attach <pid>... | --all [options]}: loads the agent into running JVMs with the same options as
 * {@code -javaagent}. Idempotent: a JVM where this version is already active is left alone and reported as such.
 */
final class AttachCommand {

    static final String HELP = ""
            + "Usage: java -jar h2patch-agent.jar attach <pid>... [key=value,...]\n"
            + "       java -jar h2patch-agent.jar attach --all [--dry-run] [key=value,...]\n"
            + "\n"
            + "Loads h2patch into running JVMs, with the same options as -javaagent:h2patch-agent.jar=key=value,...\n"
            + "(fixes=..., mode=fix|report, log=quiet|info|debug; see README.md). The fixes are active when the\n"
            + "command returns; the agent's own lines (libraries patched) go to the target JVM's stderr.\n"
            + "A JVM where this h2patch version is already active is left as it is (exit 0, it says so); to change\n"
            + "options there, detach first. Run it as the user that runs the JVM.\n"
            + "\n"
            + "  --all       every local JVM where 'list' sees Netty, Jetty, Tomcat or Undertow HTTP/2 on the\n"
            + "              class path\n"
            + "  --dry-run   with --all: only print which JVMs it would attach to\n"
            + "\n"
            + "Java 21+ targets print a warning on their stderr for a dynamically loaded agent (JEP 451); this\n"
            + "command says so and proceeds. To avoid the warning start the JVM with -XX:+EnableDynamicAgentLoading,\n"
            + "or load h2patch at start-up with -javaagent. With several pids every one is tried; the exit code is\n"
            + "that of the first failure.\n";

    private AttachCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) throws CliException {
        List<String> pids = new ArrayList<String>();
        StringBuilder options = new StringBuilder();
        boolean all = false;
        boolean dryRun = false;
        for (String arg : args) {
            if (arg.equals("--all")) {
                all = true;
            } else if (arg.equals("--dry-run")) {
                dryRun = true;
            } else if (arg.contains("=")) {
                options.append(options.length() == 0 ? "" : ",").append(arg);
            } else if (arg.startsWith("-")) {
                throw new CliException(ExitCode.USAGE, "attach: unknown option '" + arg + "'\n\n" + HELP);
            } else {
                pids.add(arg);
            }
        }
        if (all == !pids.isEmpty()) {
            throw new CliException(ExitCode.USAGE, "attach: give one or more pids, or --all\n\n" + HELP);
        }
        if (dryRun && !all) {
            throw new CliException(ExitCode.USAGE, "attach: --dry-run goes with --all\n\n" + HELP);
        }
        String invalid = CliSupport.invalidOptions(options.toString());
        if (invalid != null) {
            throw new CliException(ExitCode.USAGE, "invalid option: " + invalid);
        }
        // Usage errors first: a bad pid is the caller's mistake wherever the command runs from.
        for (String pid : pids) {
            Target.of(pid);
        }
        File jar = agentJar();
        AttachApi api = AttachApi.load();
        if (all) {
            pids.clear();
            for (ListCommand.Jvm jvm : ListCommand.inspectAll(api)) {
                if (jvm.hasHttp2()) {
                    pids.add(jvm.pid);
                    if (dryRun) {
                        out.println(jvm.pid + "\t" + (jvm.h2patch == null ? "would attach" : "h2patch "
                                + jvm.h2patch + " already active") + "\t" + jvm.http2 + "\t" + jvm.command);
                    }
                }
            }
            if (pids.isEmpty()) {
                out.println("no local JVM with Netty, Jetty, Tomcat or Undertow HTTP/2 on its class path (see 'list')");
                return ExitCode.OK;
            }
            if (dryRun) {
                return ExitCode.OK;
            }
        }
        int exit = ExitCode.OK;
        for (String pid : pids) {
            try {
                attach(api, Target.of(pid), jar, options.toString(), out, err);
            } catch (CliException e) {
                err.println("h2patch: " + e.getMessage());
                if (exit == ExitCode.OK) {
                    exit = e.exitCode;
                }
            }
        }
        return exit;
    }

    static void attach(AttachApi api, Target target, File jar, String options, PrintStream out, PrintStream err)
            throws CliException {
        AttachApi.Vm vm = target.attach(api);
        try {
            Properties before = properties(vm, target);
            String active = before.getProperty("h2patch.version");
            if (active != null) {
                if (!active.equals(Agent.version())) {
                    throw new CliException(ExitCode.OTHER_VERSION, "h2patch " + active + " is active in " + target.pid
                            + ", not this version (" + Agent.version() + "); detach it first (with the jar of that"
                            + " version), then attach");
                }
                out.println("h2patch " + active + " is already active in " + target.pid + " (" + describe(before)
                        + "); nothing to do. To change its options: detach, then attach again.");
                return;
            }
            int java = Target.featureVersion(before);
            Boolean dynamic = target.lastFlag("EnableDynamicAgentLoading");
            if (Boolean.FALSE.equals(dynamic)) {
                throw new CliException(ExitCode.DYNAMIC_AGENTS_DISABLED, "the JVM " + target.pid + " was started with"
                        + " -XX:-EnableDynamicAgentLoading: it refuses agents loaded at run time. Load h2patch at its"
                        + " next start instead: -javaagent:" + jar);
            }
            if (java >= 21 && dynamic == null) {
                err.println("h2patch: warning: " + target.pid + " runs Java " + java + ", which prints a warning on"
                        + " its stderr when an agent is loaded at run time (JEP 451), and a future Java will refuse"
                        + " it. To avoid both: start that JVM with -XX:+EnableDynamicAgentLoading, or better load"
                        + " h2patch at start-up with -javaagent:" + jar + " (or JAVA_TOOL_OPTIONS, docs/deploy.md)."
                        + " Attaching now.");
            }
            long start = System.nanoTime();
            load(vm, target, jar, options);
            long millis = (System.nanoTime() - start) / 1000000L;
            Properties after = properties(vm, target);
            if (after.getProperty("h2patch.version") == null) {
                throw new CliException(ExitCode.FAILED, "the agent was loaded into " + target.pid + " but did not"
                        + " start; its reason is on that JVM's stderr (for example an invalid -Dh2patch.* option"
                        + " or H2PATCH_* variable there)");
            }
            out.println("h2patch " + after.getProperty("h2patch.version") + " attached to " + target.pid + " in "
                    + millis + " ms: " + describe(after) + ". Libraries patched: see its stderr, or 'status "
                    + target.pid + "'.");
        } finally {
            vm.close();
        }
    }

    /** Loads the agent jar with {@code arguments}, translating the attach API's failures. */
    static void load(AttachApi.Vm vm, Target target, File jar, String arguments) throws CliException {
        try {
            vm.loadAgent(jar.getPath(), arguments);
        } catch (Exception e) {
            String message = String.valueOf(e.getMessage());
            if (e.getClass().getSimpleName().equals("AgentLoadException") && message.equals("0")) {
                return; // a Java 9+ client and a Java 8 target disagree on the reply format; the agent did load
            }
            if (message.contains("Dynamic agent loading is not enabled")) {
                throw new CliException(ExitCode.DYNAMIC_AGENTS_DISABLED, "the JVM " + target.pid + " refuses agents"
                        + " loaded at run time (" + message + "). Load h2patch at its next start: -javaagent:"
                        + jar, e);
            }
            if (e.getClass().getSimpleName().equals("AttachNotSupportedException")
                    || message.contains("No such process")) {
                throw target.attachFailure(e);
            }
            throw new CliException(ExitCode.FAILED, "loading the agent into " + target.pid + " failed: "
                    + e.getClass().getSimpleName() + ": " + message + " (the target's stderr may say more)", e);
        }
    }

    static Properties properties(AttachApi.Vm vm, Target target) throws CliException {
        try {
            return vm.systemProperties();
        } catch (Exception e) {
            throw target.attachFailure(e);
        }
    }

    static String describe(Properties properties) {
        return "mode=" + properties.getProperty("h2patch.mode") + " fixes=" + properties.getProperty("h2patch.fixes");
    }

    /** The agent jar this command runs from: the jar the target JVM loads. */
    static File agentJar() throws CliException {
        try {
            File jar = new File(AttachCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                    .getAbsoluteFile();
            if (!jar.isFile()) {
                throw new CliException(ExitCode.USAGE, "run this command from the agent jar: java -jar"
                        + " h2patch-agent.jar ... (it runs from " + jar + ")");
            }
            return jar;
        } catch (CliException e) {
            throw e;
        } catch (Exception e) {
            throw new CliException(ExitCode.FAILED, "cannot find the agent jar this command runs from: " + e, e);
        }
    }

    /** The agent jar for messages, or a placeholder. */
    static String describeJar() {
        try {
            return agentJar().getPath();
        } catch (CliException e) {
            return "/path/to/h2patch-agent.jar";
        }
    }
}
