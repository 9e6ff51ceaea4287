package dev.h2patch.cli;

import dev.h2patch.Agent;
import dev.h2patch.cli.probe.ProbeCommand;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * {@code java -jar h2patch-agent.jar <command>}: the operator's command line. One class per command; each has
 * {@code --help}. Results go to stdout, problems to stderr as one {@code h2patch: ...} line, and the exit code says
 * which problem ({@link ExitCode}).
 */
public final class Main {

    static final String HELP = ""
            + "Usage: java -jar h2patch-agent.jar <command> [arguments]   (<command> --help for details)\n"
            + "\n"
            + "Commands:\n"
            + "  list                      the local JVMs: Java version, h2patch loaded?, Netty/Jetty HTTP/2 present?\n"
            + "  attach <pid>... [opts]    load h2patch into running JVMs (opts as for -javaagent: key=value,...)\n"
            + "  attach --all [opts]       ... into every local JVM with an HTTP/2 library h2patch patches\n"
            + "  status <pid> [--json]     active fixes, mode, library versions, counters per fix\n"
            + "  detach <pid>              restore the original bytecode\n"
            + "  wrapper                   print the container entrypoint script (docs/deploy.md)\n"
            + "  fixes [--json]            what this jar fixes: each fix, its library line and versions\n"
            + "  probe URL [--json] [-v]   check from outside whether a server shows these bugs (docs/probe.md)\n"
            + "  version                   print the version\n"
            + "\n"
            + "At start-up instead: java -javaagent:h2patch-agent.jar[=key=value,...] -jar app.jar\n"
            + "Options: fixes=end-stream,... (default all), mode=fix|report, log=quiet|info|debug\n"
            + "See README.md, docs/operations.md and docs/deploy.md.\n"
            + "\n";

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command; returns its exit code. */
    static int run(String[] arguments, PrintStream out, PrintStream err) {
        List<String> args = new ArrayList<String>(Arrays.asList(arguments));
        String command = args.isEmpty() ? "help" : args.remove(0);
        if (command.equals("--version") || command.equals("version")) {
            out.println("h2patch " + Agent.version());
            return ExitCode.OK;
        }
        if (command.equals("--help") || command.equals("-h") || command.equals("help")) {
            String topic = args.isEmpty() ? null : args.get(0);
            String help = topic == null ? null : help(topic);
            out.print(help != null ? help + "\n" + ExitCode.TABLE : "h2patch " + Agent.version()
                    + " - repairs HTTP/2 interop bugs inside running Java servers\n\n" + HELP + ExitCode.TABLE);
            return ExitCode.OK;
        }
        String help = help(command);
        if (help == null) {
            err.println("h2patch: unknown command '" + command + "'\n\n" + HELP + ExitCode.TABLE);
            return ExitCode.USAGE;
        }
        if (args.contains("--help") || args.contains("-h")) {
            out.print(help + "\n" + ExitCode.TABLE);
            return ExitCode.OK;
        }
        try {
            if (command.equals("list")) {
                return ListCommand.run(args, out, err);
            } else if (command.equals("attach")) {
                return AttachCommand.run(args, out, err);
            } else if (command.equals("status")) {
                return StatusCommand.run(args, out, err);
            } else if (command.equals("detach")) {
                return DetachCommand.run(args, out, err);
            } else if (command.equals("fixes")) {
                return FixesCommand.run(args, out, err);
            } else if (command.equals("probe")) {
                return ProbeCommand.run(args, out, err);
            } else {
                return WrapperCommand.run(args, out, err);
            }
        } catch (CliException e) {
            err.println("h2patch: " + e.getMessage());
            return e.exitCode;
        } catch (RuntimeException e) {
            err.println("h2patch: " + command + " failed: " + e);
            return ExitCode.FAILED;
        }
    }

    private static String help(String command) {
        if (command.equals("list")) {
            return ListCommand.HELP;
        } else if (command.equals("attach")) {
            return AttachCommand.HELP;
        } else if (command.equals("status")) {
            return StatusCommand.HELP;
        } else if (command.equals("detach")) {
            return DetachCommand.HELP;
        } else if (command.equals("wrapper")) {
            return WrapperCommand.HELP;
        } else if (command.equals("fixes")) {
            return FixesCommand.HELP;
        } else if (command.equals("probe")) {
            return ProbeCommand.HELP;
        }
        return null;
    }
}
