package dev.h2patch;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.util.Set;

/**
 * Java 9+ only: what the installer needs from the module system. The implementation, {@code ModuleEdges9}, is
 * compiled for Java 9 from {@code src/main/java9} (the rest of the agent is compiled for Java 8, which has no
 * {@code java.lang.Module}), and is only loaded on a JVM that has modules.
 *
 * <p>Why: inlined advice runs with the access rights of the class it is inlined into. On the class path every class
 * is in an unnamed module, which reads every module; in a named module (a library jar with a {@code module-info}
 * on the module path: Netty 4.2, Jetty 12) a class may only use the types of the modules its module reads. Netty's
 * {@code io.netty.transport} does not read {@code io.netty.codec.http2}, so advice inlined into
 * {@code DefaultChannelPipeline$HeadContext} that names {@code Http2ConnectionHandler} fails with
 * {@code IllegalAccessError} on every call. The JVM itself only adds read edges from a transformed module to the
 * unnamed modules of the boot and application class loaders (where the agent's helpers are), not to other named
 * modules.
 */
abstract class ModuleEdges {

    /** The implementation for this JVM, or {@code null} on Java 8 (no modules: nothing to do). */
    static ModuleEdges load(Instrumentation instrumentation) {
        try {
            Class.forName("java.lang.Module");
        } catch (ClassNotFoundException java8) {
            return null;
        }
        try {
            return (ModuleEdges) Class.forName("dev.h2patch.ModuleEdges9")
                    .getDeclaredConstructor(Instrumentation.class).newInstance(instrumentation);
        } catch (Throwable t) {
            Log.warn("cannot use the module system's API (" + t + "); fixes inlined into classes of named modules"
                    + " may fail (each failure is counted and reported)");
            return null;
        }
    }

    /**
     * The transformer to register: one that receives the module of each class ({@code transform(Module, ...)}) and
     * hands it to {@link Installer#transformIn(Object, ClassLoader, String, Class, java.security.ProtectionDomain,
     * byte[])}.
     */
    abstract ClassFileTransformer transformer(Installer installer);

    /**
     * Makes {@code module} (a {@code java.lang.Module}) read the modules that hold {@code packages} (as seen from
     * {@code loader}) and has each of them export the package to it if it does not yet; a no-op for an unnamed module
     * and for what was granted before. Throws when the module system refuses.
     */
    abstract void grant(Object module, ClassLoader loader, Set<String> packages, String fix);

    /** Whether {@code module} (a {@code java.lang.Module}) is named; on the class path nothing is to be done. */
    abstract boolean isNamed(Object module);

    /**
     * What {@code H2patchRuntime.moduleOpener} is set to: opens the package of a class (an application's port sniffer,
     * read by the helpers) to the module of a helper class, with one log line per package; never a JDK package.
     */
    abstract java.util.function.BiConsumer<Class<?>, Class<?>> opener();
}
