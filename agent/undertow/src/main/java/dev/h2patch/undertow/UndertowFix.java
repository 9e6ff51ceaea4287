package dev.h2patch.undertow;

import dev.h2patch.LibraryLineFix;
import dev.h2patch.LibraryVersions;
import dev.h2patch.Relocation;
import dev.h2patch.VersionRange;

/**
 * The lines every fix of this module serves, said once: Undertow 2.2, 2.3 and 2.4, releases [2.2, 2.5). The classes,
 * fields and methods the fixes touch have the same signatures on the three lines (javap on 2.2.41.Final, 2.3.27.Final
 * and 2.4.4.Final, diffed), so one module serves them, as agent/jetty10 serves Jetty 10 and 11.
 */
abstract class UndertowFix extends LibraryLineFix {

    UndertowFix() {
        super("Undertow 2.2/2.3/2.4", VersionRange.of("2.2", "2.5"), "io.undertow", "undertow-core");
    }

    /**
     * The version {@code io.undertow.Version} reports: its resource {@code io/undertow/version.properties}, read
     * without loading the class; the jar's {@code pom.properties} when that resource is missing.
     */
    @Override
    public String libraryVersion(ClassLoader loader, Relocation relocation) {
        String version = LibraryVersions.property(loader, "io/undertow/version.properties", "undertow.version");
        return version != null ? version : super.libraryVersion(loader, relocation);
    }
}
