package dev.h2patch.cli;

/** The command line's exit codes; the same table is in {@code --help} and docs/operations.md. */
public final class ExitCode {

    public static final int OK = 0;
    public static final int FAILED = 1;
    public static final int USAGE = 2;
    public static final int NO_SUCH_PROCESS = 3;
    public static final int OTHER_USER = 4;
    public static final int ATTACH_DISABLED = 5;
    public static final int NOT_ATTACHABLE = 6;
    public static final int NO_ATTACH_API = 7;
    public static final int DYNAMIC_AGENTS_DISABLED = 8;
    public static final int NOT_LOADED = 9;
    public static final int OTHER_VERSION = 10;
    public static final int PROBE_BUG = 11;
    public static final int PROBE_UNREACHABLE = 12;

    static final String TABLE = ""
            + "Exit codes:\n"
            + "   0  done (also: h2patch of this version was already active, nothing to do)\n"
            + "   1  failed: the agent did not load or did not start in the target (its stderr says why)\n"
            + "   2  usage: unknown command, bad argument or invalid agent option\n"
            + "   3  no such process\n"
            + "   4  the process belongs to another user: run the command as that user\n"
            + "   5  the JVM was started with -XX:+DisableAttachMechanism\n"
            + "   6  not attachable: not a HotSpot/OpenJDK JVM, or it did not answer the attach request\n"
            + "   7  this java has no attach API (a JRE without the jdk.attach module): run with a JDK's java\n"
            + "   8  the JVM refuses dynamically loaded agents (-XX:-EnableDynamicAgentLoading): use -javaagent\n"
            + "   9  status/detach: h2patch is not active in that JVM\n"
            + "  10  attach: another h2patch version is active in that JVM: detach it first\n"
            + "  11  probe: a bug was seen (the table says which, and the fix for it)\n"
            + "  12  probe: no HTTP/2 server reached (connection refused, timed out, TLS/ALPN failed, not HTTP/2)\n";

    private ExitCode() {
    }
}
