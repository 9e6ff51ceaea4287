package dev.h2patch.it.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * Finding the real peers (node, curl, nghttp, h2load) a test drives. A missing peer skips the test on a developer's
 * machine and fails it where {@code .ci/run} requires every peer ({@link RequiredPeer}). (The interop suite has its
 * own {@code interop.Peers}, which records a missing peer as "peer unavailable" instead.)
 */
public final class TestPeers {

    private TestPeers() {
    }

    /** The first executable among {@code candidates}, then on PATH as {@code name}; or skip / fail (see class). */
    public static Path require(String name, String install, String... candidates) {
        Path found = Stream.of(candidates).map(Path::of).filter(Files::isExecutable).findFirst()
                .orElseGet(() -> onPath(name));
        RequiredPeer.require(found != null, name + " is not installed (" + install + "; .ci/run installs it)");
        return found;
    }

    /** An executable on PATH, or null. */
    public static Path onPath(String name) {
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(":"))
                .map(dir -> Path.of(dir, name)).filter(Files::isExecutable).findFirst().orElse(null);
    }

    public static Path node() {
        return require("node", "apt-get install -y nodejs", "/usr/bin/node", "/usr/local/bin/node");
    }
}
