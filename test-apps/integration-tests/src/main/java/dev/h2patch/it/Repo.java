package dev.h2patch.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

/** Where things are in the h2patch checkout: the repo root, the app jars, the agent jar. */
public final class Repo {
    /** System property that overrides the repo root (otherwise found by walking up from {@code user.dir}). */
    public static final String ROOT_PROPERTY = "h2patch.repo";

    private Repo() {}

    /** The first directory at or above {@code user.dir} that contains both {@code agent/} and {@code test-apps/}. */
    public static Path root() {
        String override = System.getProperty(ROOT_PROPERTY);
        if (override != null && !override.isBlank()) {
            return Paths.get(override).toAbsolutePath().normalize();
        }
        Path start = Paths.get(System.getProperty("user.dir")).toAbsolutePath().normalize();
        for (Path dir = start; dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("agent")) && Files.isDirectory(dir.resolve("test-apps"))) {
                return dir;
            }
        }
        throw new IllegalStateException("cannot find the h2patch repo root (a directory containing agent/ and test-apps/)"
                + " at or above " + start + "; set -D" + ROOT_PROPERTY + "=PATH");
    }

    /** {@code test-apps/NAME/target/NAME.jar}; not checked for existence. */
    public static Path appJar(String appName) {
        return root().resolve("test-apps").resolve(appName).resolve("target").resolve(appName + ".jar");
    }

    /** {@code agent/dist/target/h2patch-agent.jar}; not checked for existence. */
    public static Path agentJar() {
        return root().resolve("agent").resolve("dist").resolve("target").resolve("h2patch-agent.jar");
    }

    /** Fails with a message that says how to build it when {@code jar} does not exist. */
    static Path requireBuilt(Path jar, String what, String buildHint) {
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(what + " is not built: " + jar + " does not exist. Build it with: "
                    + buildHint);
        }
        return jar;
    }
}
