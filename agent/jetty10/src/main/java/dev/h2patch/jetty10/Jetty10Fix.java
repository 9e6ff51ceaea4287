package dev.h2patch.jetty10;

import dev.h2patch.Fix;
import dev.h2patch.LibraryVersions;
import dev.h2patch.Relocation;
import dev.h2patch.VersionRange;
import java.util.Collections;
import java.util.List;

/**
 * What every fix of this module declares alike: the library line (Jetty 10 and 11) and its version range, and
 * the Maven artifact whose version the start-up line reports (the one holding the class the fix patches). A fix only
 * adds its name and its patches, and overrides the line where it serves more than this one.
 */
abstract class Jetty10Fix extends Fix {

    private final String groupId;
    private final String artifactId;

    Jetty10Fix(String groupId, String artifactId) {
        this.groupId = groupId;
        this.artifactId = artifactId;
    }

    @Override
    public String library() {
        return "Jetty 10/11";
    }

    @Override
    public List<VersionRange> versions() {
        return Collections.singletonList(VersionRange.of("10", "12"));
    }

    @Override
    public String libraryVersion(ClassLoader loader, Relocation relocation) {
        return LibraryVersions.mavenVersion(loader, groupId, artifactId);
    }
}
