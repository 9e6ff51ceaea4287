package dev.h2patch.jetty10;

import dev.h2patch.LibraryLineFix;
import dev.h2patch.VersionRange;

/**
 * The line every fix of this module serves, said once: Jetty 10/11, releases [10, 12). A fix that serves more
 * lines than this one overrides {@code library()} and {@code versions()}.
 */
abstract class Jetty10Fix extends LibraryLineFix {

    /** {@code groupId:artifactId}: the artifact holding the class the fix patches (its version is logged). */
    Jetty10Fix(String groupId, String artifactId) {
        super("Jetty 10/11", VersionRange.of("10", "12"), groupId, artifactId);
    }
}
