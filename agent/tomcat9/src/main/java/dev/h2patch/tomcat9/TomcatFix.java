package dev.h2patch.tomcat9;

import dev.h2patch.LibraryLineFix;
import dev.h2patch.LibraryVersions;
import dev.h2patch.Relocation;
import dev.h2patch.VersionRange;

/**
 * The lines every fix of this module serves, said once: Tomcat 9.0, 10.1 and 11.0, releases [9.0.70, 12). The coyote
 * HTTP/2 classes these fixes patch ({@code org.apache.coyote.http2}) take no servlet type and have the same
 * signatures on the three lines (checked with javap on 9.0.70, 9.0.124, 10.1.62 and 11.0.29), so one module serves
 * them, as agent/jetty10 serves Jetty 10 and 11. A fix that needs a hook whose signature differs by line
 * ({@code Http2UpgradeHandler.writeHeaders} loses its {@code int pushedStreamId} in 11.0) belongs in a module of its
 * own line.
 */
abstract class TomcatFix extends LibraryLineFix {

    /** Where Tomcat states its own version: catalina's ServerInfo, in tomcat-embed-core and in catalina.jar. */
    static final String SERVER_INFO = "org/apache/catalina/util/ServerInfo.properties";

    TomcatFix() {
        super("Tomcat 9.0/10.1/11.0", VersionRange.of("9.0.70", "12"), "org.apache.tomcat.embed", "tomcat-embed-core");
    }

    /**
     * Tomcat's jars carry no Maven pom.properties; {@code ServerInfo.properties} says {@code server.number=10.1.62.0}
     * (the fourth number is always 0 in releases): reported as {@code 10.1.62}.
     */
    @Override
    public String libraryVersion(ClassLoader loader, Relocation relocation) {
        String number = LibraryVersions.property(loader, SERVER_INFO, "server.number");
        if (number == null) {
            return null;
        }
        return number.endsWith(".0") && number.split("\\.").length == 4
                ? number.substring(0, number.length() - 2) : number;
    }
}
