package dev.h2patch.cli;

import java.io.File;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.Locale;
import java.util.Properties;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A cheap guess at whether a JVM has an HTTP/2 server library h2patch patches on its class path, from its
 * {@code java.class.path}: jar file names first ({@code netty-codec-http2-*}, {@code grpc-netty-shaded-*}, Jetty's
 * {@code http2-server-*} or {@code jetty-http2-*}, {@code tomcat-embed-core-*}, {@code undertow-core-*}), then, for
 * jars whose name says nothing (an application's fat jar), the jar's table of contents: the HTTP/2 packages
 * themselves, or nested library jars (Spring Boot's {@code BOOT-INF/lib/}, a war's {@code WEB-INF/lib/}). It reads no
 * class and loads nothing in the target. It misses libraries that a framework loads from elsewhere (an application
 * server's own lib directory, plugins); {@code status} shows what h2patch actually matched once it is loaded. A new
 * library is one row of {@link #LIBRARIES}.
 */
final class Http2Libraries {

    static final String NETTY = "Netty";
    static final String GRPC_NETTY_SHADED = "grpc-netty-shaded";
    static final String JETTY = "Jetty";
    static final String TOMCAT = "Tomcat";
    static final String UNDERTOW = "Undertow";

    /** A library: its name, the jar-name prefixes that give it away, the package folder of its HTTP/2 code. */
    static final class Library {
        final String name;
        final String[] jarPrefixes;
        final String http2Package;

        Library(String name, String http2Package, String... jarPrefixes) {
            this.name = name;
            this.jarPrefixes = jarPrefixes;
            this.http2Package = http2Package;
        }
    }

    /** In the order they are reported (the order of the checks before this table). */
    static final Library[] LIBRARIES = {
        new Library(GRPC_NETTY_SHADED, "io/grpc/netty/shaded/io/netty/handler/codec/http2/", "grpc-netty-shaded"),
        new Library(NETTY, "io/netty/handler/codec/http2/", "netty-codec-http2", "netty-all"),
        new Library(JETTY, "org/eclipse/jetty/http2/", "jetty-http2", "http2-server", "http2-common"),
        new Library(TOMCAT, "org/apache/coyote/http2/", "tomcat-embed-core", "tomcat-coyote"),
        new Library(UNDERTOW, "io/undertow/protocols/http2/", "undertow-core"),
    };

    /** At most this many jars are opened per JVM; the rest are judged by name only. */
    private static final int MAX_JARS_OPENED = 8;

    private Http2Libraries() {
    }

    /** The HTTP/2 libraries found (empty when none), judging by the target's class path. */
    static Set<String> detect(Target target, Properties properties) {
        Set<String> found = new LinkedHashSet<String>();
        String classPath = properties.getProperty("java.class.path", "");
        String separator = properties.getProperty("path.separator", File.pathSeparator);
        String userDir = properties.getProperty("user.dir", "");
        int opened = 0;
        for (String entry : classPath.split(java.util.regex.Pattern.quote(separator))) {
            if (entry.isEmpty()) {
                continue;
            }
            String byName = byName(entry);
            if (byName != null) {
                found.add(byName);
                continue;
            }
            File file = new File(entry).isAbsolute() ? target.inTarget(entry)
                    : target.inTarget(new File(userDir, entry).getPath());
            if (file.isDirectory()) {
                for (Library library : LIBRARIES) {
                    if (new File(file, library.http2Package).isDirectory()) {
                        found.add(library.name);
                    }
                }
            } else if (file.isFile() && opened++ < MAX_JARS_OPENED) {
                scanJar(file, found);
            }
        }
        return found;
    }

    /** The library a jar's file name gives away, or null. */
    static String byName(String path) {
        String name = new File(path).getName().toLowerCase(Locale.ROOT);
        for (Library library : LIBRARIES) {
            for (String prefix : library.jarPrefixes) {
                if (name.startsWith(prefix)) {
                    return library.name;
                }
            }
        }
        return null;
    }

    /** Adds to {@code found} the libraries whose HTTP/2 package, or whose nested jar, {@code jar} holds. */
    static void scanJar(File jar, Set<String> found) {
        ZipFile zip = null;
        try {
            zip = new ZipFile(jar);
            for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                String name = entries.nextElement().getName();
                if (name.endsWith(".jar")) {
                    String nested = byName(name);
                    if (nested != null) {
                        found.add(nested);
                    }
                    continue;
                }
                for (Library library : LIBRARIES) {
                    if (name.startsWith(library.http2Package)) {
                        found.add(library.name);
                        break;
                    }
                }
            }
        } catch (Exception ignored) {
            // Unreadable: judged by name only.
        } finally {
            if (zip != null) {
                try {
                    zip.close();
                } catch (Exception ignored) {
                    // nothing to do
                }
            }
        }
    }
}
