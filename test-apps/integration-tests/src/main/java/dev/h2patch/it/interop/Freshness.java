package dev.h2patch.it.interop;

import dev.h2patch.it.Repo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Guards against stale jars: an app jar older than any of its sources (the module's {@code src/} and {@code pom.xml},
 * its family's sources, named in its pom as {@code ../X/src/main/java} (the family-sources execution of
 * {@code test-apps/pom.xml}), and {@code test-apps/pom.xml}) or an agent jar older than anything under {@code agent/}. A
 * stale jar once made the matrix report a regression that was only a missing route (an app built before /slow was
 * added).
 */
final class Freshness {
    private Freshness() {}

    private static final Pattern BORROWED = Pattern.compile("/\\.\\./([\\w.-]+)/src\\b");

    /** The files an app module's jar is built from. */
    static List<Path> appSources(String module) throws IOException {
        Path dir = Repo.root().resolve("test-apps").resolve(module);
        List<Path> roots = new ArrayList<>(List.of(dir.resolve("src"), dir.resolve("pom.xml"),
                Repo.root().resolve("test-apps/pom.xml")));
        Matcher m = BORROWED.matcher(Files.readString(dir.resolve("pom.xml")));
        while (m.find()) {
            Path family = Repo.root().resolve("test-apps").resolve(m.group(1)).resolve("src");
            if (!roots.contains(family)) {
                roots.add(family);
            }
        }
        return roots;
    }

    /** The newest source newer than {@code jar}, or null when the jar exists and is up to date. */
    static String staleBecause(Path jar, List<Path> sources) throws IOException {
        if (!Files.isRegularFile(jar)) {
            return jar + " does not exist";
        }
        FileTime built = Files.getLastModifiedTime(jar);
        for (Path root : sources) {
            if (!Files.exists(root)) {
                continue;
            }
            try (Stream<Path> files = Files.walk(root)) {
                Path newer = files.filter(Files::isRegularFile)
                        .filter(p -> !p.toString().contains("/target/"))
                        .filter(p -> {
                            try {
                                return Files.getLastModifiedTime(p).compareTo(built) > 0;
                            } catch (IOException e) {
                                return false;
                            }
                        }).findFirst().orElse(null);
                if (newer != null) {
                    return jar.getFileName() + " is older than " + Repo.root().relativize(newer);
                }
            }
        }
        return null;
    }

    static String appStale(String app) throws IOException {
        return staleBecause(Repo.appJar(app), appSources(app));
    }

    static String agentStale() throws IOException {
        return staleBecause(Repo.agentJar(), List.of(Repo.root().resolve("agent")));
    }

    /** Throws when the agent or one of {@code apps} is stale: run-interop.sh rebuilds them first. */
    static void requireFresh(List<String> apps) throws IOException {
        List<String> stale = new ArrayList<>();
        String a = agentStale();
        if (a != null) {
            stale.add(a);
        }
        for (String app : apps) {
            String s = appStale(app);
            if (s != null) {
                stale.add(s);
            }
        }
        if (!stale.isEmpty()) {
            throw new IllegalStateException("stale or missing jars (rebuild with mvn -B -q -DskipTests package, or run "
                    + "test-apps/interop/run-interop.sh, which does): " + String.join("; ", stale));
        }
    }
}
