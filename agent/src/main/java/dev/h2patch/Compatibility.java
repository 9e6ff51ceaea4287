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

    /**
     * Whether the fix fits in {@code classLoader}. Called from the transformer, i.e. while the JVM loads a class,
     * possibly holding that class loader's lock: the look-ups into the loader ({@code Class.forName},
     * {@code getResource}) run outside this object's lock, so a loader that is not parallel-capable can never wait on
     * a thread that waits on us. Two threads may then compute the same verdict; the first one recorded wins and is
     * the only one logged.
     */
    boolean fits(Fix fix, Relocation relocation, ClassLoader classLoader) {
        Object loaderKey = classLoader == null ? BOOTSTRAP : classLoader;
        String variant = fix.name() + "|" + fix.library() + "|" + relocation.label();
        Boolean known = recorded(loaderKey, variant);
        if (known != null) {
            return known;
        }
        String missing = findMissing(fix, relocation, classLoader);
        if (missing == null && !BootstrapInjector.isVisibleFrom(classLoader)
                && !(BootstrapInjector.inject(instrumentation) && BootstrapInjector.isVisibleFrom(classLoader))) {
            missing = "its class loader cannot see the agent's helper classes";
        }
        boolean verdict = missing == null;
        synchronized (this) {
            Boolean raced = recorded(loaderKey, variant);
            if (raced != null) {
                return raced;
            }
            verdicts.get(loaderKey).put(variant, verdict);
        }
        String where = describe(fix, relocation, classLoader);
        String line = verdict ? fix.name() + ": active for " + where
                : fix.name() + ": skipped for " + where + ": " + missing;
        Log.info(line);
        AgentState.library(line);
        return verdict;
    }

    private synchronized Boolean recorded(Object loaderKey, String variant) {
        Map<String, Boolean> forLoader = verdicts.get(loaderKey);
        if (forLoader == null) {
            forLoader = new HashMap<String, Boolean>();
            verdicts.put(loaderKey, forLoader);
        }
        return forLoader.get(variant);
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
