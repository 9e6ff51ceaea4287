package dev.h2patch.cli;

import dev.h2patch.Agent;

/**
 * {@code java -jar h2patch-agent.jar}: the operator's command line. For now it prints the version and how to load
 * the agent; the attach, list, status and detach commands build on it.
 */
public final class Main {

    private Main() {
    }

    public static void main(String[] args) {
        if (args.length == 1 && (args[0].equals("--version") || args[0].equals("version"))) {
            System.out.println("h2patch " + Agent.version());
            return;
        }
        System.out.println("h2patch " + Agent.version() + " - repairs HTTP/2 interop bugs inside running Java servers");
        System.out.println();
        System.out.println("Load it at start-up:  java -javaagent:h2patch-agent.jar[=key=value,...] -jar app.jar");
        System.out.println("Options: fixes=end-stream,... (default all), mode=fix|report, log=quiet|info|debug");
        System.out.println("See README.md and docs/ for details.");
        if (args.length > 0 && !args[0].equals("--help") && !args[0].equals("help")) {
            System.err.println("h2patch: unknown command '" + args[0] + "'");
            System.exit(2);
        }
    }
}
