package dev.h2patch.cli;

/** A failure the command line reports with one message and one {@link ExitCode}. */
public final class CliException extends Exception {
    private static final long serialVersionUID = 1L;

    public final int exitCode;

    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    /**
     * Reads a command's only optional flag, {@code --json}: true when given; any other argument is a usage error of
     * {@code command} (its {@code help} follows the message).
     */
    static boolean onlyJsonFlag(String command, java.util.List<String> args, String help) throws CliException {
        boolean json = false;
        for (String arg : args) {
            if (arg.equals("--json")) {
                json = true;
            } else {
                throw new CliException(ExitCode.USAGE, command + ": unexpected argument '" + arg + "'\n\n" + help);
            }
        }
        return json;
    }

    CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }
}
