package dev.h2patch.cli;

/** A failure the command line reports with one message and one {@link ExitCode}. */
final class CliException extends Exception {
    private static final long serialVersionUID = 1L;

    final int exitCode;

    CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }
}
