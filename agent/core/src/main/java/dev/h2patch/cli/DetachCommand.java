package dev.h2patch.cli;

import dev.h2patch.Agent;
import java.io.PrintStream;
import java.util.List;
import java.util.Properties;

/**
 * {@code detach <pid>}: loads the agent jar once more with the control argument {@value Agent#DETACH_COMMAND}; the
 * agent already in the JVM restores the original bytecode of every class it changed, clears its system properties
 * and unregisters its MBean.
 */
final class DetachCommand {

    static final String HELP = ""
            + "Usage: java -jar h2patch-agent.jar detach <pid>\n"
            + "\n"
            + "Removes h2patch's changes from a running JVM, whether it was attached or loaded with -javaagent: every\n"
            + "class it patched gets its original bytecode back, and the JVM behaves as it did without the agent.\n"
            + "Methods running at that moment finish with the patched code; every later call runs the original.\n"
            + "The agent's classes stay loaded (a JVM cannot unload an agent) but do nothing; a later 'attach'\n"
            + "installs the fixes afresh. Exit 9 if h2patch is not active there.\n";

    private DetachCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) throws CliException {
        if (args.size() != 1 || args.get(0).startsWith("-")) {
            throw new CliException(ExitCode.USAGE, "detach: give exactly one pid\n\n" + HELP);
        }
        Target target = Target.of(args.get(0));
        AttachApi api = AttachApi.load();
        AttachApi.Vm vm = target.attach(api);
        try {
            Properties before = AttachCommand.properties(vm, target);
            String active = before.getProperty("h2patch.version");
            if (active == null) {
                throw new CliException(ExitCode.NOT_LOADED, "h2patch is not active in " + target.pid
                        + "; nothing to detach");
            }
            long start = System.nanoTime();
            AttachCommand.load(vm, target, AttachCommand.agentJar(), Agent.DETACH_COMMAND);
            long millis = (System.nanoTime() - start) / 1000000L;
            if (AttachCommand.properties(vm, target).getProperty("h2patch.version") != null) {
                throw new CliException(ExitCode.FAILED, "h2patch " + active + " in " + target.pid + " did not detach"
                        + (active.equals(Agent.version()) ? " (its stderr says why)"
                        : " (version " + active + " may not support detach)"));
            }
            out.println("h2patch " + active + " detached from " + target.pid + " in " + millis + " ms: the original"
                    + " bytecode is restored.");
            return ExitCode.OK;
        } finally {
            vm.close();
        }
    }
}
