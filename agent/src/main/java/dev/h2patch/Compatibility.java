package dev.h2patch;

import java.lang.instrument.Instrumentation;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.pool.TypePool;

/**
 * Decides, once per fix and class loader, whether a fix fits the library version that loader has: every type it
 * patches exists there and declares every advised method with exactly the declared parameters.
 *
 * <p>A fix that does not fit is skipped as a whole in that loader, with one log line naming what is missing; it is
 * never applied to some methods and not others. A fix that fits is announced once with the library version.
 */
final class Compatibility {

    private static final Object BOOTSTRAP = new Object();

    /** Per class loader (weakly held), per fix variant: whether it fits. */
    private final Map<Object, Map<String, Boolean>> verdicts = new WeakHashMap<Object, Map<String, Boolean>>();

    private final Instrumentation instrumentation;

    Compatibility(Instrumentation instrumentation) {
        this.instrumentation = instrumentation;
    }

    synchronized boolean fits(Fix fix, Relocation relocation, ClassLoader classLoader) {
        Object loaderKey = classLoader == null ? BOOTSTRAP : classLoader;
        Map<String, Boolean> forLoader = verdicts.get(loaderKey);
        if (forLoader == null) {
            forLoader = new HashMap<String, Boolean>();
            verdicts.put(loaderKey, forLoader);
        }
        String variant = fix.name() + "|" + fix.library() + "|" + relocation.label();
        Boolean verdict = forLoader.get(variant);
        if (verdict == null) {
            String missing = findMissing(fix, relocation, classLoader);
            if (missing == null && !BootstrapInjector.isVisibleFrom(classLoader)
                    && !(BootstrapInjector.inject(instrumentation) && BootstrapInjector.isVisibleFrom(classLoader))) {
                missing = "its class loader cannot see the agent's helper classes";
            }
            verdict = missing == null;
            forLoader.put(variant, verdict);
            String where = describe(fix, relocation, classLoader);
            String line = verdict ? fix.name() + ": active for " + where
                    : fix.name() + ": skipped for " + where + ": " + missing;
            Log.info(line);
            AgentState.library(line);
        }
        return verdict;
    }

    /** What the fix needs and the loader lacks, or {@code null} when everything is there. */
    static String findMissing(Fix fix, Relocation relocation, ClassLoader classLoader) {
        TypePool pool = TypePool.Default.of(classLoader == null
                ? ClassFileLocator.ForClassLoader.ofBootLoader()
                : ClassFileLocator.ForClassLoader.of(classLoader));
        for (TypePatch patch : fix.patches()) {
            String typeName = relocation.apply(patch.typeName());
            TypePool.Resolution resolution = pool.describe(typeName);
            if (!resolution.isResolved()) {
                return "no class " + typeName;
            }
            TypeDescription type = resolution.resolve();
            for (TypePatch.MethodAdvice method : patch.advice()) {
                int matches = type.getDeclaredMethods()
                        .filter(AdviceWeaver.methodMatcher(method, relocation)).size();
                if (matches != 1) {
                    return typeName + " has no method " + method.signature(relocation);
                }
            }
        }
        return null;
    }

    private static String describe(Fix fix, Relocation relocation, ClassLoader classLoader) {
        String version = null;
        try {
            version = fix.libraryVersion(classLoader, relocation);
        } catch (RuntimeException ignored) {
            // The version is only for the log line.
        }
        return fix.library() + (version == null ? "" : " (" + version + ")")
                + (relocation.isNone() ? "" : " as " + relocation.label())
                + " in " + (classLoader == null ? "the bootstrap class loader" : classLoader.toString());
    }
}
