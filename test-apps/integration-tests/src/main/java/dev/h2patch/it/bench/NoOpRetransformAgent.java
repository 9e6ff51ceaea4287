package dev.h2patch.it.bench;

import com.sun.tools.attach.VirtualMachine;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * The attach benchmark's reference: what the JVM itself costs a running app when any agent retransforms one class.
 *
 * <p>Attached with {@code main(PID, JAR, CLASS)}, it retransforms the loaded class named CLASS through a transformer
 * that changes nothing, so the JVM redefines it with its own bytes. On a JVM started without an agent, the first
 * redefinition is where HotSpot before JDK 23 throws away every compiled method (it has not recorded which ones depend
 * on which classes; JDK-8324241 changed that), and that pause is the app's whatever the agent does — the benchmark runs
 * this next to the real attach so the report can tell the two apart.
 */
public final class NoOpRetransformAgent {

    private NoOpRetransformAgent() {
    }

    /** {@code PID JAR CLASS}: attaches JAR (see {@link #writeJar}) to PID, asking it to retransform CLASS. */
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: NoOpRetransformAgent PID AGENT_JAR CLASS_NAME");
            System.exit(2);
        }
        VirtualMachine vm = VirtualMachine.attach(args[0]);
        try {
            vm.loadAgent(args[1], args[2]);
        } finally {
            vm.detach();
        }
        System.out.println("retransformed " + args[2] + " in " + args[0]);
    }

    public static void agentmain(String className, Instrumentation instrumentation) throws Exception {
        Class<?> target = null;
        for (Class<?> type : instrumentation.getAllLoadedClasses()) {
            if (type.getName().equals(className)) {
                target = type;
                break;
            }
        }
        if (target == null) {
            throw new IllegalStateException(className + " is not loaded");
        }
        ClassFileTransformer unchanged = new ClassFileTransformer() {
        };
        instrumentation.addTransformer(unchanged, true);
        try {
            instrumentation.retransformClasses(target);
        } finally {
            instrumentation.removeTransformer(unchanged);
        }
    }

    /** Writes the agent jar: this class and a manifest naming it as a retransforming Agent-Class. */
    public static void writeJar(Path jar) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Agent-Class", NoOpRetransformAgent.class.getName());
        manifest.getMainAttributes().putValue("Can-Retransform-Classes", "true");
        String entry = NoOpRetransformAgent.class.getName().replace('.', '/') + ".class";
        String inner = NoOpRetransformAgent.class.getName().replace('.', '/') + "$1.class";
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file, manifest)) {
            for (String name : new String[] {entry, inner}) {
                out.putNextEntry(new JarEntry(name));
                try (InputStream in = NoOpRetransformAgent.class.getClassLoader().getResourceAsStream(name)) {
                    in.transferTo(out);
                }
                out.closeEntry();
            }
        }
    }
}
