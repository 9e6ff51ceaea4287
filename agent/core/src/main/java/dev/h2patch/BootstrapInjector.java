package dev.h2patch;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import dev.h2patch.bootstrap.H2patchRuntime;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.URL;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;

/**
 * Puts the {@code dev.h2patch.bootstrap} classes on the bootstrap class path when a patched library's class loader
 * cannot see them otherwise.
 *
 * <p>Almost every class loader delegates to the system class loader, where the agent jar already is, so this is done
 * lazily, only for a loader that does not (see {@link Compatibility}): appending to the bootstrap path makes HotSpot
 * print "Sharing is only supported for boot loader classes because bootstrap classpath has been appended" and stop
 * sharing (CDS) the application's classes, a start-up cost no one should pay for nothing.
 *
 * <p>Only that package and its subpackages (each library family's shared helpers, e.g. {@code dev.h2patch.bootstrap.jetty})
 * go there (not the whole agent, not the relocated Byte Buddy): the classes are copied from the
 * agent jar into a small jar in the temporary directory, appended with
 * {@link Instrumentation#appendToBootstrapClassLoaderSearch}, and loaded at once, so a temp cleaner that later
 * deletes the file cannot break them. Because class loading delegates to the parent first, the agent's own references
 * to these classes resolve to the same bootstrap copies.
 */
final class BootstrapInjector {

    static final String PACKAGE = "dev/h2patch/bootstrap/";
    private static final String MARKER = "dev.h2patch.bootstrap.H2patchRuntime";

    private BootstrapInjector() {
    }

    /** Whether advice inlined into classes of {@code loader} can call the bootstrap helpers. */
    static boolean isVisibleFrom(ClassLoader loader) {
        try {
            Class.forName(MARKER, false, loader);
            return true;
        } catch (Throwable t) {
            return false;
        }
    }

    /**
     * Injects the bootstrap classes unless they are there already. Returns false (after logging why) when they could
     * not be injected.
     */
    static synchronized boolean inject(Instrumentation instrumentation) {
        if (isVisibleFrom(null)) {
            return true;
        }
        try {
            List<String> names = new ArrayList<String>();
            File jar = writeBootstrapJar(names);
            instrumentation.appendToBootstrapClassLoaderSearch(new JarFile(jar));
            for (String name : names) {
                Class.forName(name, true, null);
            }
            syncSwitches();
            return true;
        } catch (Throwable t) {
            Log.warn("could not put the agent's helper classes on the bootstrap class path (" + t + ")");
            return false;
        }
    }

    /**
     * Copies every switch (each public static field of {@link H2patchRuntime}: mode and bounds) from the copy the agent
     * sets to the bootstrap copy, when there is one and it is another class. Called after injection and on every
     * start, so a later attach with other options reaches advice in every class loader. Generic on purpose: a new
     * option added to {@code H2patchRuntime} reaches every copy without a change here.
     */
    static synchronized void syncSwitches() throws IllegalAccessException {
        Class<?> bootstrapCopy;
        try {
            bootstrapCopy = Class.forName(MARKER, true, null);
        } catch (ClassNotFoundException notInjected) {
            return;
        }
        copySwitches(H2patchRuntime.class, bootstrapCopy);
    }

    static void copySwitches(Class<?> from, Class<?> to) throws IllegalAccessException {
        if (from == to) {
            return;
        }
        for (Field field : from.getFields()) {
            int modifiers = field.getModifiers();
            if (Modifier.isStatic(modifiers) && !Modifier.isFinal(modifiers)) {
                try {
                    to.getField(field.getName()).set(null, field.get(null));
                } catch (NoSuchFieldException cannotHappen) {
                    // Both copies come from the same agent jar.
                }
            }
        }
    }

    private static File writeBootstrapJar(List<String> names) throws IOException {
        File jar = File.createTempFile("h2patch-bootstrap-", ".jar");
        jar.deleteOnExit();
        OutputStream file = new FileOutputStream(jar);
        try {
            JarOutputStream out = new JarOutputStream(file);
            for (String resource : bootstrapClassFiles()) {
                out.putNextEntry(new JarEntry(resource));
                out.write(read(resource));
                out.closeEntry();
                names.add(resource.substring(0, resource.length() - ".class".length()).replace('/', '.'));
            }
            out.close();
        } finally {
            file.close();
        }
        return jar;
    }

    /**
     * The class files of the bootstrap package and its subpackages, listed from the agent jar (or the module's output,
     * in tests).
     */
    static List<String> bootstrapClassFiles() throws IOException {
        List<String> resources = new ArrayList<String>();
        URL location = H2patchRuntime.class.getProtectionDomain().getCodeSource().getLocation();
        File source;
        try {
            source = new File(location.toURI());
        } catch (Exception e) {
            throw new IOException("cannot locate the agent jar from " + location, e);
        }
        if (source.isDirectory()) {
            listClassFiles(new File(source, PACKAGE), PACKAGE, resources);
        } else {
            JarFile jar = new JarFile(source);
            try {
                for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements(); ) {
                    String name = entries.nextElement().getName();
                    if (name.startsWith(PACKAGE) && name.endsWith(".class")) {
                        resources.add(name);
                    }
                }
            } finally {
                jar.close();
            }
        }
        if (resources.isEmpty()) {
            throw new IOException("no bootstrap classes found in " + source);
        }
        return resources;
    }

    /** The class files under {@code dir}, subpackages included (a library family's helpers, e.g. {@code jetty/}). */
    private static void listClassFiles(File dir, String prefix, List<String> resources) {
        File[] files = dir.listFiles();
        if (files == null) {
            return;
        }
        for (File file : files) {
            if (file.isDirectory()) {
                listClassFiles(file, prefix + file.getName() + "/", resources);
            } else if (file.getName().endsWith(".class")) {
                resources.add(prefix + file.getName());
            }
        }
    }

    private static byte[] read(String resource) throws IOException {
        InputStream in = H2patchRuntime.class.getClassLoader().getResourceAsStream(resource);
        if (in == null) {
            throw new IOException("missing " + resource);
        }
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            for (int n; (n = in.read(buffer)) > 0; ) {
                bytes.write(buffer, 0, n);
            }
            return bytes.toByteArray();
        } finally {
            in.close();
        }
    }
}
