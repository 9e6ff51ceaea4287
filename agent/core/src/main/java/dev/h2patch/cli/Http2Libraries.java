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
 * A cheap guess at whether a JVM has Netty or Jetty HTTP/2 on its class path, from its {@code java.class.path}:
 * jar file names first ({@code netty-codec-http2-*}, {@code grpc-netty-shaded-*}, Jetty's {@code http2-server-*} or
 * {@code jetty-http2-*}), then, for jars whose name says nothing (an application's fat jar), the jar's table of
 * contents: the HTTP/2 packages themselves, or nested library jars (Spring Boot's {@code BOOT-INF/lib/}, a war's
 * {@code WEB-INF/lib/}). It reads no class and loads nothing in the target. It misses libraries that a framework
 * loads from elsewhere (an application server's own lib directory, plugins); {@code status} shows what h2patch
 * actually matched once it is loaded.
 */
final class Http2Libraries {

    static final String NETTY = "Netty";
    static final String GRPC_NETTY_SHADED = "grpc-netty-shaded";
    static final String JETTY = "Jetty";

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
                if (new File(file, "io/netty/handler/codec/http2").isDirectory()) {
                    found.add(NETTY);
                }
                if (new File(file, "org/eclipse/jetty/http2").isDirectory()) {
                    found.add(JETTY);
                }
            } else if (file.isFile() && opened++ < MAX_JARS_OPENED) {
                scanJar(file, found);
            }
        }
        return found;
    }

    private static String byName(String path) {
        String name = new File(path).getName().toLowerCase(Locale.ROOT);
        if (name.startsWith("grpc-netty-shaded")) {
            return GRPC_NETTY_SHADED;
        }
        if (name.startsWith("netty-codec-http2") || name.startsWith("netty-all")) {
            return NETTY;
        }
        if (name.startsWith("jetty-http2") || name.startsWith("http2-server") || name.startsWith("http2-common")) {
            return JETTY;
        }
        return null;
    }

    private static void scanJar(File jar, Set<String> found) {
        ZipFile zip = null;
        try {
            zip = new ZipFile(jar);
            for (Enumeration<? extends ZipEntry> entries = zip.entries(); entries.hasMoreElements(); ) {
                String name = entries.nextElement().getName();
                if (name.startsWith("io/netty/handler/codec/http2/")) {
                    found.add(NETTY);
                } else if (name.startsWith("io/grpc/netty/shaded/io/netty/handler/codec/http2/")) {
                    found.add(GRPC_NETTY_SHADED);
                } else if (name.startsWith("org/eclipse/jetty/http2/")) {
                    found.add(JETTY);
                } else if (name.endsWith(".jar")) {
                    String nested = byName(name);
                    if (nested != null) {
                        found.add(nested);
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
