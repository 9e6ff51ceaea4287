package dev.h2patch.jetty12;

import dev.h2patch.LibraryLineFix;
import dev.h2patch.VersionRange;

/**
 * The line every fix of this module serves, said once: Jetty 12.0/12.1, releases [12, 12.2). A fix that serves more
 * lines than this one overrides {@code library()} and {@code versions()}.
 */
abstract class Jetty12Fix extends LibraryLineFix {

    /** {@code groupId:artifactId}: the artifact holding the class the fix patches (its version is logged). */
    Jetty12Fix(String groupId, String artifactId) {
        super("Jetty 12.0/12.1", VersionRange.of("12", "12.2"), groupId, artifactId);
    }
}
