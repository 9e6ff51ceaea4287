package dev.h2patch.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

/**
 * One local JVM, by pid: the checks made before attaching (each with its own message and {@link ExitCode}), and the
 * attach itself with its failures translated the same way.
 *
 * <p>The checks read {@code /proc} (Linux). Where there is no {@code /proc}, they are skipped and the attach API's own
 * errors are translated instead.
 */
final class Target {

    private static final Path PROC = Paths.get("/proc");

    final String pid;

    private Target(String pid) {
        this.pid = pid;
    }

    /** Parses a pid argument; {@link ExitCode#USAGE} when it is not a number or is this JVM. */
    static Target of(String argument) throws CliException {
        if (!argument.matches("[0-9]{1,10}")) {
            throw new CliException(ExitCode.USAGE, "'" + argument + "' is not a process id");
        }
        String pid = String.valueOf(Long.parseLong(argument));
        if (pid.equals(selfPid())) {
            throw new CliException(ExitCode.USAGE, "pid " + pid + " is this command itself");
        }
        return new Target(pid);
    }

    /** This JVM's pid, from {@code /proc/self} or the runtime name ({@code pid@host}). */
    static String selfPid() {
        try {
            return PROC.resolve("self").toRealPath().getFileName().toString();
        } catch (Exception e) {
            String name = java.lang.management.ManagementFactory.getRuntimeMXBean().getName();
            int at = name.indexOf('@');
            return at > 0 ? name.substring(0, at) : name;
        }
    }

    private static boolean hasProc() {
        return Files.isDirectory(PROC.resolve("self"));
    }

    /**
     * The checks before attaching: the process exists, belongs to this user (or this user is root), is a JVM, and was
     * not started with {@code -XX:+DisableAttachMechanism}. Attaching to a process that is not a JVM would send it
     * SIGQUIT (which ends most programs); attaching to a JVM with attach disabled makes it print a thread dump on its
     * stdout. Both are refused here.
     */
    void preflight() throws CliException {
        if (!hasProc()) {
            return;
        }
        Path dir = PROC.resolve(pid);
        if (!Files.isDirectory(dir)) {
            throw new CliException(ExitCode.NO_SUCH_PROCESS, "no process with pid " + pid);
        }
        int uid = uid(dir);
        int ours = uid(PROC.resolve("self"));
        if (uid >= 0 && ours >= 0 && uid != ours && ours != 0) {
            throw new CliException(ExitCode.OTHER_USER, "process " + pid + " belongs to " + user(dir, uid)
                    + " and this command runs as " + user(PROC.resolve("self"), ours) + "; a JVM only lets its own"
                    + " user (or root) attach. Run the command as that user, e.g.: sudo -u " + userName(dir, uid)
                    + " java -jar " + AttachCommand.describeJar() + " ...");
        }
        List<String> command = commandLine();
        if (command == null) {
            if (!Files.isDirectory(dir)) {
                throw new CliException(ExitCode.NO_SUCH_PROCESS, "no process with pid " + pid);
            }
            return;
        }
        if (Boolean.TRUE.equals(lastFlag("DisableAttachMechanism"))) {
            throw new CliException(ExitCode.ATTACH_DISABLED, "the JVM " + pid + " was started with"
                    + " -XX:+DisableAttachMechanism: nothing can attach to it (jcmd, jstack, h2patch). Load h2patch"
                    + " at its next start instead: -javaagent:" + AttachCommand.describeJar()
                    + " (or JAVA_TOOL_OPTIONS, see docs/deploy.md)");
        }
        String maps = readText(dir.resolve("maps"));
        if (maps != null && !maps.contains("libjvm")) {
            throw new CliException(ExitCode.NOT_ATTACHABLE, "process " + pid + " is not a Java VM (no libjvm in"
                    + " its memory map): " + join(command));
        }
    }

    /** The process's command line, or null when it cannot be read. */
    List<String> commandLine() {
        if (!hasProc()) {
            return null;
        }
        String raw = readText(PROC.resolve(pid).resolve("cmdline"));
        if (raw == null) {
            return null;
        }
        List<String> args = new ArrayList<String>(Arrays.asList(raw.split("\u0000")));
        while (!args.isEmpty() && args.get(args.size() - 1).isEmpty()) {
            args.remove(args.size() - 1);
        }
        return args;
    }

    /**
     * The last {@code -XX:+NAME} or {@code -XX:-NAME} among the JVM's options (command line, then JAVA_TOOL_OPTIONS
     * and JDK_JAVA_OPTIONS when the environment is readable): TRUE, FALSE, or null when not given.
     */
    Boolean lastFlag(String name) {
        List<String> options = new ArrayList<String>();
        String environ = hasProc() ? readText(PROC.resolve(pid).resolve("environ")) : null;
        if (environ != null) {
            for (String entry : environ.split("\u0000")) {
                if (entry.startsWith("JAVA_TOOL_OPTIONS=") || entry.startsWith("JDK_JAVA_OPTIONS=")) {
                    options.addAll(Arrays.asList(entry.substring(entry.indexOf('=') + 1).trim().split("\\s+")));
                }
            }
        }
        List<String> command = commandLine();
        if (command != null) {
            for (String arg : command.subList(Math.min(1, command.size()), command.size())) {
                if (arg.equals("-jar") || arg.equals("-m") || arg.equals("--module")) {
                    break; // the application's own arguments follow (after a main class too, but -XX: is rare there)
                }
                options.add(arg);
            }
        }
        Boolean value = null;
        for (String option : options) {
            if (option.equals("-XX:+" + name)) {
                value = Boolean.TRUE;
            } else if (option.equals("-XX:-" + name)) {
                value = Boolean.FALSE;
            }
        }
        return value;
    }

    /** Attaches after {@link #preflight()}, translating the attach API's failures. */
    AttachApi.Vm attach(AttachApi api) throws CliException {
        preflight();
        try {
            return api.attach(pid);
        } catch (Exception e) {
            throw attachFailure(e);
        }
    }

    CliException attachFailure(Exception e) {
        String type = e.getClass().getSimpleName();
        String message = String.valueOf(e.getMessage());
        if (message.contains("No such process")) {
            return new CliException(ExitCode.NO_SUCH_PROCESS, "no process with pid " + pid, e);
        }
        if (message.contains("ermission denied") || message.contains("should be owned by")) {
            return new CliException(ExitCode.OTHER_USER, "not allowed to attach to " + pid + " (" + message
                    + "): run the command as the JVM's user", e);
        }
        if (message.contains("does not support the attach mechanism")) {
            return new CliException(ExitCode.ATTACH_DISABLED, "the JVM " + pid + " does not accept attach"
                    + " requests (" + message + "), e.g. -XX:+DisableAttachMechanism: load h2patch with -javaagent"
                    + " at its next start", e);
        }
        if (type.equals("AttachNotSupportedException") || message.contains("socket file")) {
            return new CliException(ExitCode.NOT_ATTACHABLE, "could not attach to " + pid + ": " + message
                    + ". It may not be a HotSpot/OpenJDK JVM, may have attach disabled, or may run in a container"
                    + " whose /tmp this command cannot reach (then run the command inside the container)", e);
        }
        return new CliException(ExitCode.FAILED, "could not attach to " + pid + ": " + type + ": " + message, e);
    }

    /** The target's Java feature version (8, 17, 25, ...) from its system properties, or 0 if unknown. */
    static int featureVersion(Properties properties) {
        String spec = properties.getProperty("java.specification.version", "");
        try {
            return spec.startsWith("1.") ? Integer.parseInt(spec.substring(2)) : Integer.parseInt(spec);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static int uid(Path path) {
        try {
            return (Integer) Files.getAttribute(path, "unix:uid");
        } catch (Exception e) {
            return -1;
        }
    }

    private static String userName(Path path, int uid) {
        try {
            return Files.getOwner(path).getName();
        } catch (Exception e) {
            return "#" + uid;
        }
    }

    private static String user(Path path, int uid) {
        return "user " + userName(path, uid) + " (uid " + uid + ")";
    }

    private static String readText(Path path) {
        try {
            return new String(Files.readAllBytes(path), Charset.defaultCharset());
        } catch (IOException e) {
            return null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    static String join(List<String> words) {
        StringBuilder text = new StringBuilder();
        for (String word : words) {
            text.append(text.length() == 0 ? "" : " ").append(word);
        }
        return text.toString();
    }

    /** A path as the target sees it: through {@code /proc/PID/root} when that is readable (containers). */
    File inTarget(String path) {
        File direct = new File(path);
        if (hasProc()) {
            File viaRoot = new File(PROC.resolve(pid).resolve("root").toString(), path);
            if (direct.isAbsolute() && viaRoot.exists()) {
                return viaRoot;
            }
        }
        return direct;
    }
}
