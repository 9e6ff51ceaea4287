package dev.h2patch.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Properties;

/**
 * The file through which the agent in a target JVM answers {@code status}: an empty file with mode 0600 in a new
 * directory with mode 0700, made by the command in the target's temporary directory ({@code java.io.tmpdir} there),
 * handed to the agent by its path, read and deleted by the command. Only the JVM's user (which runs the command, or
 * root, which hands both to that user) can read it; the agent writes into it without creating or following anything
 * (see {@code AgentState.statusRequest}).
 *
 * <p>The target's temporary directory is reached through {@code /proc/PID/root} where that exists, as the attach API
 * itself does: so a JVM in a container or with a private {@code /tmp} (systemd {@code PrivateTmp}) is answered too.
 */
final class StatusFile {

    private static final String PREFIX = "h2patch-status-";

    /** The path as the command reaches it. */
    private final Path local;
    private final Path directory;
    /** The same path as the target JVM sees it: what the agent is given. */
    final String targetPath;

    private StatusFile(Path directory, Path local, String targetPath) {
        this.directory = directory;
        this.local = local;
        this.targetPath = targetPath;
    }

    static StatusFile create(Target target, Properties targetProperties) throws CliException {
        String tmp = targetProperties.getProperty("java.io.tmpdir", System.getProperty("java.io.tmpdir"));
        Path targetTmp = Paths.get(tmp);
        Path base = targetTmp;
        Path root = Paths.get("/proc", target.pid, "root");
        if (targetTmp.isAbsolute() && Files.isDirectory(root.resolve(tmp.substring(1)))) {
            base = root.resolve(tmp.substring(1));
        }
        try {
            Path directory;
            Path file;
            try {
                directory = Files.createTempDirectory(base, PREFIX,
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
                file = Files.createFile(directory.resolve("status.properties"),
                        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } catch (UnsupportedOperationException notPosix) {
                directory = Files.createTempDirectory(base, PREFIX);
                file = Files.createFile(directory.resolve("status.properties"));
            }
            StatusFile status = new StatusFile(directory, file,
                    targetTmp.resolve(directory.getFileName().toString()).resolve(file.getFileName().toString())
                            .toString());
            status.handTo(target);
            return status;
        } catch (IOException e) {
            throw new CliException(ExitCode.FAILED, "could not create the status file in " + base + " (" + e
                    + "): the JVM " + target.pid + " answers status through its temporary directory " + tmp, e);
        }
    }

    /** Run as root for another user's JVM: the directory and file become that user's (still owner-only). */
    private void handTo(Target target) throws IOException {
        Integer owner = uid(Paths.get("/proc", target.pid));
        Integer ours = uid(Paths.get("/proc/self"));
        if (owner == null || ours == null || owner.equals(ours)) {
            return;
        }
        try {
            Files.setAttribute(directory, "unix:uid", owner);
            Files.setAttribute(local, "unix:uid", owner);
        } catch (FileSystemException | UnsupportedOperationException e) {
            delete();
            throw new IOException("cannot hand it to uid " + owner + ": " + e, e);
        }
    }

    private static Integer uid(Path path) {
        try {
            return (Integer) Files.getAttribute(path, "unix:uid");
        } catch (Exception e) {
            return null;
        }
    }

    /**
     * What the agent wrote: empty when it wrote nothing. Read only as the one regular file made here (no link, one
     * name): for another user's JVM that user owns the directory meanwhile and could put something else there.
     */
    Properties read() throws IOException {
        Properties state = new Properties();
        if (!Files.isRegularFile(local, LinkOption.NOFOLLOW_LINKS) || links(local) > 1) {
            throw new IOException(local + " is no longer the file this command created");
        }
        try (InputStream in = Files.newInputStream(local, LinkOption.NOFOLLOW_LINKS)) {
            state.load(in);
        }
        return state;
    }

    private static int links(Path path) {
        try {
            return (Integer) Files.getAttribute(path, "unix:nlink", LinkOption.NOFOLLOW_LINKS);
        } catch (Exception e) {
            return 1; // no unix view: nothing to check
        }
    }

    void delete() {
        try {
            Files.deleteIfExists(local);
        } catch (IOException ignored) {
            // The directory delete below then fails too; both are owner-only.
        }
        try {
            Files.deleteIfExists(directory);
        } catch (IOException ignored) {
            // Left behind, owner-only, in the temporary directory.
        }
    }
}
