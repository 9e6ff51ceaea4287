package dev.h2patch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.File;
import java.io.FileOutputStream;
import java.nio.file.Files;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;

/** {@link Http2Libraries}: what `list` reports from a JVM's class path, by jar name and by a jar's contents. */
class Http2LibrariesTest {

    @Test
    void jarNamesGiveEveryPatchedLibraryAway() {
        assertEquals("Netty", Http2Libraries.byName("/app/lib/netty-codec-http2-4.1.128.Final.jar"));
        assertEquals("grpc-netty-shaded", Http2Libraries.byName("grpc-netty-shaded-1.76.0.jar"));
        assertEquals("Jetty", Http2Libraries.byName("/x/jetty-http2-server-12.1.3.jar"));
        assertEquals("Jetty", Http2Libraries.byName("http2-server-9.4.58.v20250814.jar"));
        assertEquals("Tomcat", Http2Libraries.byName("/srv/tomcat-embed-core-10.1.62.jar"));
        assertEquals("Undertow", Http2Libraries.byName("undertow-core-2.3.27.Final.jar"));
        assertNull(Http2Libraries.byName("/srv/app.jar"));
        assertNull(Http2Libraries.byName("netty-handler-4.1.128.Final.jar"), "Netty without its HTTP/2 codec");
    }

    @Test
    void aFatJarIsJudgedByItsPackagesAndNestedJars() throws Exception {
        File dir = Files.createTempDirectory("h2patch-libs").toFile();
        File fat = new File(dir, "app.jar");
        try (ZipOutputStream zip = new ZipOutputStream(new FileOutputStream(fat))) {
            for (String entry : List.of("org/apache/coyote/http2/Stream.class", "io/undertow/Undertow.class",
                    "BOOT-INF/lib/jetty-http2-common-12.1.3.jar")) {
                zip.putNextEntry(new ZipEntry(entry));
                zip.closeEntry();
            }
        }
        Set<String> found = new LinkedHashSet<>();
        Http2Libraries.scanJar(fat, found);
        assertEquals(Set.of("Tomcat", "Jetty"), found, "Undertow without its HTTP/2 package is not reported");
        fat.delete();
        dir.delete();
    }
}
