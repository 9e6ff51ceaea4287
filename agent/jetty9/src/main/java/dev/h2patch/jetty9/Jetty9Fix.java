package dev.h2patch.jetty9;

import dev.h2patch.LibraryLineFix;
import dev.h2patch.VersionRange;

/**
 * The line every fix of this module serves, said once: Jetty 9.4, releases [9.4, 10). A fix that serves more
 * lines than this one overrides {@code library()} and {@code versions()}.
 */
abstract class Jetty9Fix extends LibraryLineFix {

    /** {@code groupId:artifactId}: the artifact holding the class the fix patches (its version is logged). */
    Jetty9Fix(String groupId, String artifactId) {
        super("Jetty 9.4", VersionRange.of("9.4", "10"), groupId, artifactId);
    }
}
