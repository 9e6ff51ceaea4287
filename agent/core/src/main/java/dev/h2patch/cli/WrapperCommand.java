package dev.h2patch.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.util.List;

/** {@code wrapper}: prints the container entrypoint script shipped in the jar. */
final class WrapperCommand {

    static final String RESOURCE = "h2patch-entrypoint.sh";

    static final String HELP = ""
            + "Usage: java -jar h2patch-agent.jar wrapper > h2patch-entrypoint.sh\n"
            + "\n"
            + "Prints the entrypoint wrapper script (POSIX sh) shipped in this jar. It adds\n"
            + "-javaagent:$H2PATCH_AGENT_JAR[=$H2PATCH_AGENT_OPTIONS] in front of JAVA_TOOL_OPTIONS (keeping what was\n"
            + "there) and execs the command it is given, so signals reach the JVM. See docs/deploy.md.\n";

    private WrapperCommand() {
    }

    static int run(List<String> args, PrintStream out, PrintStream err) throws CliException {
        if (!args.isEmpty()) {
            throw new CliException(ExitCode.USAGE, "wrapper: no arguments expected\n\n" + HELP);
        }
        InputStream in = WrapperCommand.class.getResourceAsStream(RESOURCE);
        if (in == null) {
            throw new CliException(ExitCode.FAILED, "this jar has no " + RESOURCE);
        }
        try {
            byte[] buffer = new byte[8192];
            for (int n; (n = in.read(buffer)) > 0; ) {
                out.write(buffer, 0, n);
            }
            out.flush();
        } catch (IOException e) {
            throw new CliException(ExitCode.FAILED, "could not read " + RESOURCE + ": " + e, e);
        } finally {
            try {
                in.close();
            } catch (IOException ignored) {
                // nothing to do
            }
        }
        return ExitCode.OK;
    }
}
