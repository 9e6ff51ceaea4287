package dev.h2patch;

import java.io.InputStream;
import java.net.URL;
import java.util.Enumeration;
import java.util.Properties;

/** Finds the version of a library as a class loader sees it, for {@link Fix#libraryVersion} (log lines only). */
public final class LibraryVersions {

    private LibraryVersions() {
    }

    /**
     * The {@code version} of {@code META-INF/maven/GROUP/ARTIFACT/pom.properties} as {@code loader} (or, for the
     * bootstrap loader, the system loader) sees it; {@code null} when absent or unreadable. Most jars carry that file,
     * and fat jars built with the shade or assembly plugins keep it.
     */
    public static String mavenVersion(ClassLoader loader, String groupId, String artifactId) {
        return property(loader, "META-INF/maven/" + groupId + "/" + artifactId + "/pom.properties", "version");
    }

    /** The value of {@code key} in the first properties resource named {@code resource} that has it. */
    public static String property(ClassLoader loader, String resource, String key) {
        ClassLoader source = loader != null ? loader : ClassLoader.getSystemClassLoader();
        try {
            for (Enumeration<URL> urls = source.getResources(resource); urls.hasMoreElements(); ) {
                Properties properties = new Properties();
                InputStream in = urls.nextElement().openStream();
                try {
                    properties.load(in);
                } finally {
                    in.close();
                }
                String value = properties.getProperty(key);
                if (value != null) {
                    return value;
                }
            }
        } catch (Exception ignored) {
            // Only used for a log line.
        }
        return null;
    }
}
