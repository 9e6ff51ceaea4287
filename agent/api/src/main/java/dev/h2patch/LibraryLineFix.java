package dev.h2patch;

import java.util.Collections;
import java.util.List;

/**
 * A fix for one API line of a library published on Maven Central: the line's name, the versions declared for it and
 * the artifact whose version the start-up line reports are constructor values, so that a line module says them once
 * (its own package-private base, e.g. {@code Jetty12Fix}) and each fix adds only its name and its patches.
 */
public abstract class LibraryLineFix extends Fix {

    private final String library;
    private final List<VersionRange> versions;
    private final String groupId;
    private final String artifactId;

    /**
     * @param library    the line as logs and {@code fixes} name it, e.g. {@code "Jetty 12.0/12.1"}
     * @param versions   the releases the fix is written and checked for
     * @param groupId    with {@code artifactId}: the artifact holding the class the fix patches, whose
     *                   {@code pom.properties} version is reported ({@link LibraryVersions#mavenVersion})
     * @param artifactId see {@code groupId}
     */
    protected LibraryLineFix(String library, VersionRange versions, String groupId, String artifactId) {
        this.library = library;
        this.versions = Collections.singletonList(versions);
        this.groupId = groupId;
        this.artifactId = artifactId;
    }

    @Override
    public String library() {
        return library;
    }

    @Override
    public List<VersionRange> versions() {
        return versions;
    }

    @Override
    public String libraryVersion(ClassLoader loader, Relocation relocation) {
        return LibraryVersions.mavenVersion(loader, groupId, artifactId);
    }
}
