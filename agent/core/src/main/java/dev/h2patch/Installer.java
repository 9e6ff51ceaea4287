package dev.h2patch;

import dev.h2patch.bootstrap.AdviceFailures;
import dev.h2patch.bootstrap.AgentThreads;
import java.lang.instrument.ClassFileTransformer;
import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The one place that turns the enabled {@link Fix fixes} into a class file transformer and installs it.
 *
 * <p>Every advised type is matched by its exact name, which is all this class ever looks at: a class the application
 * loads that no fix names costs one hash lookup, and Byte Buddy is not even loaded until the first advised type
 * appears ({@link AdviceWeaver} holds every use of it). When one does, the {@link Compatibility} check confirms that
 * the whole fix fits the library version in that class loader; only then is the advice inlined. Classes already
 * loaded (dynamic attach) are retransformed in batches. No fields or methods are ever added, so {@link #uninstall}
 * can restore the original bytecode.
 *
 * <p>Why not Byte Buddy's {@code AgentBuilder}: on Java 9+ it generates a subclass of its transformer at first use
 * (with Byte Buddy itself), and it asks its matchers about every class the JVM loads. Measured on netty-server
 * (docs/performance.md): that was about 150 ms and 400 classes of every start, for nothing these fixes need.
 */
final class Installer implements ClassFileTransformer {

    /** Retransforming is a stop-the-world pause per batch: keep batches small (the Elastic agent's choice). */
    private static final int RETRANSFORM_BATCH = 100;

    private final Instrumentation instrumentation;

    /** Internal name ({@code io/netty/...}) of every advised type → what to inline into it. */
    private final Map<String, List<AdviceWeaver.Target>> targets;

    private final Compatibility compatibility;

    /** Java 9+: read edges for classes of named modules; {@code null} on Java 8. */
    private final ModuleEdges moduleEdges;

    /** What is registered with the JVM: this, or on Java 9+ a module-aware transformer that calls it. */
    private final ClassFileTransformer registered;

    /** Weaves a loader's other advised classes once its first one is patched, off the threads that load them. */
    private final AheadOfLoadWeaver aheadOfLoad;

    /** Set while this thread transforms a class: a class loaded meanwhile is not transformed (no recursion). */
    private final ThreadLocal<Boolean> transforming = new ThreadLocal<Boolean>();

    private Installer(Instrumentation instrumentation, List<Fix> fixes) {
        this.instrumentation = instrumentation;
        this.compatibility = new Compatibility(instrumentation);
        this.moduleEdges = ModuleEdges.load(instrumentation);
        this.registered = moduleEdges == null ? this : moduleEdges.transformer(this);
        Map<String, List<AdviceWeaver.Target>> byName = new HashMap<String, List<AdviceWeaver.Target>>();
        for (Fix fix : fixes) {
            for (Relocation relocation : variants(fix)) {
                for (TypePatch patch : fix.patches()) {
                    String internalName = relocation.apply(patch.typeName()).replace('.', '/');
                    List<AdviceWeaver.Target> forType = byName.get(internalName);
                    if (forType == null) {
                        forType = new ArrayList<AdviceWeaver.Target>();
                        byName.put(internalName, forType);
                    }
                    forType.add(new AdviceWeaver.Target(fix, relocation, patch));
                }
            }
        }
        this.targets = byName;
        this.aheadOfLoad = new AheadOfLoadWeaver(byName, new AheadOfLoadWeaver.Fitting() {
            @Override
            public List<AdviceWeaver.Target> fitting(List<AdviceWeaver.Target> forType, ClassLoader loader) {
                return fittingIn(forType, loader);
            }
        });
    }

    /** The targets of one type whose fix fits the library in {@code loader} ({@link Compatibility}). */
    private List<AdviceWeaver.Target> fittingIn(List<AdviceWeaver.Target> forType, ClassLoader loader) {
        List<AdviceWeaver.Target> fitting = new ArrayList<AdviceWeaver.Target>(forType.size());
        for (AdviceWeaver.Target target : forType) {
            if (compatibility.fits(target.fix, target.relocation, loader)) {
                fitting.add(target);
            }
        }
        return fitting;
    }

    /** Registers the transformer and patches the advised classes already loaded. */
    static Installer install(Instrumentation instrumentation, List<Fix> fixes) {
        Installer installer = new Installer(instrumentation, fixes);
        instrumentation.addTransformer(installer.registered, true);
        installer.retransformLoadedTargets();
        return installer;
    }

    /**
     * Removes the transformer and retransforms the advised classes, which then get their original bytecode back.
     * Returns whether any loaded class was restored.
     */
    boolean uninstall() {
        instrumentation.removeTransformer(registered);
        aheadOfLoad.close();
        boolean restored = retransformLoadedTargets() > 0;
        forgetReportedFailures();
        return restored;
    }

    /** After a detach, a new attach reports advice failures again (in both copies of the helpers, when injected). */
    private static void forgetReportedFailures() {
        AdviceFailures.forgetReported();
        if (BootstrapInjector.isVisibleFrom(null)) {
            try {
                Class<?> bootstrapCopy = Class.forName(AdviceFailures.class.getName(), true, null);
                if (bootstrapCopy != AdviceFailures.class) {
                    bootstrapCopy.getMethod("forgetReported").invoke(null);
                }
            } catch (Throwable ignored) {
                // nothing to forget there
            }
        }
    }

    /**
     * Premain, on the warm-up thread: weaves the system class loader's advised classes ahead of their load; returns
     * how many advised types that loader has (0: none, nothing was woven).
     */
    int weaveAheadAtStart() {
        return aheadOfLoad.weaveAheadAtStart(ClassLoader.getSystemClassLoader());
    }

    /** For tests. */
    AheadOfLoadWeaver aheadOfLoad() {
        return aheadOfLoad;
    }

    /** What the helpers call to open an application package to themselves on the module path; null on Java 8. */
    java.util.function.BiConsumer<Class<?>, Class<?>> moduleOpener() {
        return moduleEdges == null ? null : moduleEdges.opener();
    }

    static List<Relocation> variants(Fix fix) {
        List<Relocation> variants = new ArrayList<Relocation>();
        variants.add(Relocation.NONE);
        variants.addAll(fix.relocations());
        return variants;
    }

    @Override
    public byte[] transform(ClassLoader loader, String className, Class<?> classBeingRedefined,
                            ProtectionDomain protectionDomain, byte[] classfileBuffer) {
        return transformIn(null, loader, className, classBeingRedefined, protectionDomain, classfileBuffer);
    }

    /**
     * The transformation, with the class's {@code java.lang.Module} on Java 9+ ({@code null} on Java 8).
     *
     * <p>A fix is applied to this class only if it fits the library in this loader ({@link Compatibility}), its
     * advice could be given the module access it needs ({@link ModuleEdges}) and its advice can be inlined here. If
     * either of the last two fails, the fix is rolled back whole in this loader: this class is patched without it,
     * and the classes it had patched there already are retransformed without it ({@link #rollBack}).
     */
    byte[] transformIn(Object module, ClassLoader loader, String className, Class<?> classBeingRedefined,
                     ProtectionDomain protectionDomain, byte[] classfileBuffer) {
        if (className == null) {
            return null;
        }
        List<AdviceWeaver.Target> forType = targets.get(className);
        if (forType == null || transforming.get() != null) {
            return null;
        }
        String typeName = className.replace('/', '.');
        long start = System.nanoTime();
        transforming.set(Boolean.TRUE);
        try {
            List<AdviceWeaver.Target> fitting = fittingIn(forType, loader);
            if (module != null && moduleEdges != null && moduleEdges.isNamed(module)) {
                for (Iterator<AdviceWeaver.Target> it = fitting.iterator(); it.hasNext(); ) {
                    AdviceWeaver.Target target = it.next();
                    try {
                        Set<String> packages = AdviceReferences.packages(target.patch, target.relocation);
                        packages.add(typeName.substring(0, Math.max(0, typeName.lastIndexOf('.'))));
                        moduleEdges.grant(module, loader, packages, target.fix.name());
                    } catch (Throwable t) {
                        it.remove();
                        rollBack(target, loader, "could not give " + typeName + "'s module access to what its"
                                + " advice uses: " + t);
                    }
                }
            }
            byte[] patched = aheadOfLoad.take(loader, className, classfileBuffer, fitting);
            boolean wovenAhead = patched != null;
            if (fitting.isEmpty()) {
                return null;
            }
            try {
                if (!wovenAhead) {
                    patched = AdviceWeaver.weave(typeName, classfileBuffer, loader, fitting);
                }
            } catch (Throwable whole) {
                // Find the fix (or fixes) whose advice cannot be inlined here; the others are still applied.
                List<AdviceWeaver.Target> weavable = new ArrayList<AdviceWeaver.Target>(fitting.size());
                for (AdviceWeaver.Target target : fitting) {
                    try {
                        AdviceWeaver.weave(typeName, classfileBuffer, loader,
                                Collections.singletonList(target));
                        weavable.add(target);
                    } catch (Throwable alone) {
                        rollBack(target, loader, "could not inline its advice into " + typeName + ": " + alone);
                    }
                }
                if (weavable.isEmpty()) {
                    return null;
                }
                patched = AdviceWeaver.weave(typeName, classfileBuffer, loader, weavable);
            }
            if (Log.isDebug()) {
                // The time this class load waited for the check and the weave, on the thread that loads it.
                Log.debug("transformed " + typeName + (classBeingRedefined != null ? " (retransformed)" : "")
                        + (wovenAhead ? " (woven ahead of its load)" : "") + " in "
                        + (System.nanoTime() - start) / 1000000 + " ms");
            }
            if (classBeingRedefined == null) {
                aheadOfLoad.patched(loader); // not at attach: there the loaded classes are all retransformed at once
            }
            return patched;
        } catch (Throwable t) {
            Log.warn("could not patch " + typeName + "; it keeps its original code: " + t);
            return null;
        } finally {
            transforming.remove();
        }
    }

    /**
     * Skips {@code target}'s fix in {@code loader} from now on (one log line, see {@link Compatibility#reject}) and
     * restores the classes of that fix already patched there: README promises a fix is applied whole or not at all.
     * The retransformation runs on a short-lived daemon thread, never inside the class load that found the problem;
     * until it has run, the already patched classes keep the fix's advice (each of them works on its own).
     */
    private void rollBack(final AdviceWeaver.Target target, final ClassLoader loader, String reason) {
        if (!compatibility.reject(target.fix, target.relocation, loader, reason)) {
            return; // already rolled back
        }
        final Set<String> names = new HashSet<String>();
        for (TypePatch patch : target.fix.patches()) {
            names.add(target.relocation.apply(patch.typeName()));
        }
        Thread restore = AgentThreads.newThread(new Runnable() {
            @Override
            public void run() {
                List<Class<?>> patched = new ArrayList<Class<?>>();
                for (Class<?> type : instrumentation.getAllLoadedClasses()) {
                    if (type.getClassLoader() == loader && names.contains(type.getName())
                            && instrumentation.isModifiableClass(type)) {
                        patched.add(type);
                    }
                }
                for (Class<?> type : patched) {
                    retransformOne(type);
                }
                if (!patched.isEmpty()) {
                    Log.info(target.fix.name() + ": retransformed " + patched.size() + " loaded class(es) of it without it in "
                            + loader);
                }
            }
        }, "h2patch-rollback");
        restore.start();
    }

    /** Retransforms the loaded classes some fix names, in batches; returns how many there were. */
    private int retransformLoadedTargets() {
        List<Class<?>> loaded = new ArrayList<Class<?>>();
        for (Class<?> type : instrumentation.getAllLoadedClasses()) {
            String name = type.getName();
            if (targets.containsKey(name.replace('.', '/')) && instrumentation.isModifiableClass(type)) {
                loaded.add(type);
            }
        }
        for (int from = 0; from < loaded.size(); from += RETRANSFORM_BATCH) {
            List<Class<?>> batch = loaded.subList(from, Math.min(loaded.size(), from + RETRANSFORM_BATCH));
            try {
                instrumentation.retransformClasses(batch.toArray(new Class<?>[0]));
            } catch (Throwable batchFailure) {
                // One class that cannot be retransformed must not keep the others from it.
                for (Class<?> type : batch) {
                    retransformOne(type);
                }
            }
        }
        return loaded.size();
    }

    private void retransformOne(Class<?> type) {
        try {
            instrumentation.retransformClasses(type);
        } catch (Throwable t) {
            Log.warn("could not retransform " + type.getName() + "; it keeps the code it has: " + t);
        }
    }
}
