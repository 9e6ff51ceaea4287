package dev.h2patch;

import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.WeakHashMap;

/**
 * {@link ModuleEdges} with the Java 9 module API ({@link Instrumentation#redefineModule}). Compiled for Java 9;
 * loaded only on a JVM that has modules.
 *
 * <p>Cost: nothing per class the application loads. For each patched class in a named module, the packages its advice
 * names are looked up once per module (a walk over the modules of that module's layer and its parents); a read edge
 * or export is added only where one is missing, with one log line per module that got one.
 */
final class ModuleEdges9 extends ModuleEdges {

    private static final String HELPER = "dev.h2patch.bootstrap.H2patchRuntime";

    private final Instrumentation instrumentation;

    /** Per module (weakly held), the packages already granted to it. */
    private final Map<Module, Set<String>> granted = new WeakHashMap<Module, Set<String>>();

    ModuleEdges9(Instrumentation instrumentation) {
        this.instrumentation = instrumentation;
    }

    @Override
    ClassFileTransformer transformer(final Installer installer) {
        return new ClassFileTransformer() {
            @Override
            public byte[] transform(Module module, ClassLoader loader, String className, Class<?> classBeingRedefined,
                                    ProtectionDomain protectionDomain, byte[] classfileBuffer) {
                return installer.transformIn(module, loader, className, classBeingRedefined, protectionDomain,
                        classfileBuffer);
            }
        };
    }

    @Override
    java.util.function.BiConsumer<Class<?>, Class<?>> opener() {
        return new java.util.function.BiConsumer<Class<?>, Class<?>>() {
            @Override
            public void accept(Class<?> type, Class<?> helper) {
                Module source = type.getModule();
                Module helpers = helper.getModule();
                String pkg = type.getPackageName();
                if (!source.isNamed() || isJdk(source) || source.isOpen(pkg, helpers)) {
                    return;
                }
                Map<String, Set<Module>> noPackages = Collections.emptyMap();
                instrumentation.redefineModule(source, Collections.<Module>emptySet(), noPackages,
                        Collections.singletonMap(pkg, Collections.singleton(helpers)),
                        Collections.<Class<?>>emptySet(), Collections.<Class<?>, java.util.List<Class<?>>>emptyMap());
                Log.info("early-settings: module " + source.getName() + " opened " + pkg + " to the agent's helper"
                        + " classes, to read what a port sniffer there holds (docs/fixes/early-settings.md)");
            }
        };
    }

    @Override
    boolean isNamed(Object module) {
        return module instanceof Module && ((Module) module).isNamed();
    }

    @Override
    void grant(Object moduleObject, ClassLoader loader, Set<String> packages, String fix) {
        Module target = (Module) moduleObject;
        if (target == null || !target.isNamed()) {
            return; // an unnamed module reads every module
        }
        Set<String> needed = new LinkedHashSet<String>(packages);
        synchronized (granted) {
            Set<String> done = granted.get(target);
            if (done != null) {
                needed.removeAll(done);
            }
        }
        if (needed.isEmpty()) {
            return;
        }
        Set<Module> reads = new LinkedHashSet<Module>();
        Map<Module, Map<String, Set<Module>>> exports = new HashMap<Module, Map<String, Set<Module>>>();
        Map<Module, Map<String, Set<Module>>> opens = new HashMap<Module, Map<String, Set<Module>>>();
        Module helpers = helperModule(loader);
        for (String pkg : needed) {
            Module source = pkg.startsWith("dev.h2patch.") ? helperModule(loader) : find(target, loader, pkg);
            if (source == null || isJdk(source)) {
                continue; // the JDK's own modules are never opened or changed
            }
            if (source != target && !target.canRead(source)) {
                reads.add(source);
            }
            if (source != target && source.isNamed() && !source.isExported(pkg, target)) {
                Map<String, Set<Module>> forSource = exports.get(source);
                if (forSource == null) {
                    forSource = new HashMap<String, Set<Module>>();
                    exports.put(source, forSource);
                }
                forSource.put(pkg, Collections.singleton(target));
            }
            // The helpers read a few private fields of the library reflectively (Jetty's ServerParser.notifyPreface,
            // Netty's ChannelOutboundBuffer entries, ...): setAccessible needs the package open to their module.
            // Only packages the fix's advice names are opened, and only to the helpers' module.
            if (source.isNamed() && helpers != null && !source.isOpen(pkg, helpers)) {
                Map<String, Set<Module>> forSource = opens.get(source);
                if (forSource == null) {
                    forSource = new HashMap<String, Set<Module>>();
                    opens.put(source, forSource);
                }
                forSource.put(pkg, Collections.singleton(helpers));
            }
        }
        Map<String, Set<Module>> noPackages = Collections.emptyMap();
        Map<Class<?>, java.util.List<Class<?>>> noServices = Collections.emptyMap();
        if (!reads.isEmpty()) {
            instrumentation.redefineModule(target, reads, noPackages, noPackages,
                    Collections.<Class<?>>emptySet(), noServices);
        }
        for (Map.Entry<Module, Map<String, Set<Module>>> export : exports.entrySet()) {
            instrumentation.redefineModule(export.getKey(), Collections.<Module>emptySet(), export.getValue(),
                    noPackages, Collections.<Class<?>>emptySet(), noServices);
        }
        for (Map.Entry<Module, Map<String, Set<Module>>> open : opens.entrySet()) {
            instrumentation.redefineModule(open.getKey(), Collections.<Module>emptySet(), noPackages,
                    open.getValue(), Collections.<Class<?>>emptySet(), noServices);
        }
        synchronized (granted) {
            Set<String> done = granted.get(target);
            if (done == null) {
                done = new HashSet<String>();
                granted.put(target, done);
            }
            done.addAll(needed);
        }
        if (!reads.isEmpty() || !exports.isEmpty() || !opens.isEmpty()) {
            // Reads of an unnamed module (the agent's helpers) only say ahead of time what the JVM adds itself to a
            // module an agent transformed: those go to the debug log; an edge to a named module is worth a line.
            Set<String> names = new TreeSet<String>();
            Set<String> unnamed = new TreeSet<String>();
            for (Module read : reads) {
                if (read.isNamed()) {
                    names.add(read.getName());
                } else {
                    unnamed.add("the unnamed module of " + read.getClassLoader());
                }
            }
            Set<String> exported = new TreeSet<String>();
            for (Map.Entry<Module, Map<String, Set<Module>>> export : exports.entrySet()) {
                for (String pkg : export.getValue().keySet()) {
                    exported.add(export.getKey().getName() + "/" + pkg);
                }
            }
            Set<String> opened = new TreeSet<String>();
            for (Map.Entry<Module, Map<String, Set<Module>>> open : opens.entrySet()) {
                for (String pkg : open.getValue().keySet()) {
                    opened.add(open.getKey().getName() + "/" + pkg);
                }
            }
            if (names.isEmpty() && exported.isEmpty() && opened.isEmpty()) {
                if (Log.isDebug()) {
                    Log.debug(fix + ": module " + target.getName() + " now reads " + String.join(", ", unnamed));
                }
            } else {
                names.addAll(unnamed);
                Log.info(fix + ": module " + target.getName() + " now reads " + (names.isEmpty() ? "nothing new"
                        : String.join(", ", names)) + (exported.isEmpty() ? ""
                        : "; exported to it: " + String.join(", ", exported))
                        + (opened.isEmpty() ? "" : "; opened to the agent's helper classes: "
                        + String.join(", ", opened))
                        + " (the code inlined into it uses their types)");
            }
        }
    }

    /** A module of the JDK (defined by the boot or platform class loader). */
    private static boolean isJdk(Module module) {
        ClassLoader loader = module.getClassLoader();
        return module.isNamed() && (loader == null || loader == ClassLoader.getPlatformClassLoader());
    }

    /** The module of the agent's helper classes as {@code loader} sees them (an unnamed module). */
    private static Module helperModule(ClassLoader loader) {
        try {
            return Class.forName(HELPER, false, loader).getModule();
        } catch (Throwable t) {
            return null; // not visible: Compatibility skips the fix in that loader
        }
    }

    /**
     * The module that holds {@code pkg} for classes of {@code loader}: a named module of {@code target}'s layer or one
     * of its parents (defined by {@code loader} if there is one such, else the first found), or else the unnamed
     * module of {@code loader}.
     */
    static Module find(Module target, ClassLoader loader, String pkg) {
        ModuleLayer start = target.getLayer() != null ? target.getLayer() : ModuleLayer.boot();
        Deque<ModuleLayer> layers = new ArrayDeque<ModuleLayer>();
        Set<ModuleLayer> seen = new HashSet<ModuleLayer>();
        layers.add(start);
        Module first = null;
        while (!layers.isEmpty()) {
            ModuleLayer layer = layers.poll();
            if (!seen.add(layer)) {
                continue;
            }
            for (Module module : layer.modules()) {
                if (module.getPackages().contains(pkg)) {
                    if (module.getClassLoader() == loader) {
                        return module;
                    }
                    if (first == null) {
                        first = module;
                    }
                }
            }
            layers.addAll(layer.parents());
        }
        if (first != null) {
            return first;
        }
        return loader == null ? null : loader.getUnnamedModule();
    }
}
