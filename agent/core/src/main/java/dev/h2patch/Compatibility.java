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
 * patches exists there (or is an {@link TypePatch#optionalType} the loader lacks) and declares every advised method
 * with exactly the declared parameters, and every library type, field and method the advice's own code uses (and every
 * field it reads with {@code @Advice.FieldValue}) is there too ({@link AdviceReferences}).
 *
 * <p>A fix that does not fit is skipped as a whole in that loader, with one log line naming what is missing; it is
 * never applied to some methods and not others. A fix that fits is announced once with the library version. A fix
 * that fits but then cannot be applied to one of its classes is turned into a skip by {@link #reject}.
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
        String missing = findMissing(fix, relocation, classLoader, poolFor(classLoader));
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

    /**
     * Marks a fix that {@link #fits} as not fitting {@code classLoader} after all (its advice could not be inlined
     * into one of its classes there, or given the module access it needs), with one log line. Returns true the first
     * time, false when it was already skipped there.
     */
    synchronized boolean reject(Fix fix, Relocation relocation, ClassLoader classLoader, String reason) {
        Object loaderKey = classLoader == null ? BOOTSTRAP : classLoader;
        Map<String, Boolean> forLoader = verdicts.get(loaderKey);
        if (forLoader == null) {
            forLoader = new HashMap<String, Boolean>();
            verdicts.put(loaderKey, forLoader);
        }
        String variant = fix.name() + "|" + fix.library() + "|" + relocation.label();
        if (Boolean.FALSE.equals(forLoader.get(variant))) {
            return false;
        }
        forLoader.put(variant, Boolean.FALSE);
        String line = fix.name() + ": skipped for " + describe(fix, relocation, classLoader) + ": " + reason
                + "; rolled back whole (the classes it had already patched there get their original code back)";
        Log.warn(line);
        AgentState.library(line);
        return true;
    }

    /** What the fix needs and the loader lacks, or {@code null} when everything is there. */
    static String findMissing(Fix fix, Relocation relocation, ClassLoader classLoader) {
        return findMissing(fix, relocation, classLoader, newPool(classLoader));
    }

    private static TypePool newPool(ClassLoader classLoader) {
        return TypePool.Default.of(classLoader == null
                ? ClassFileLocator.ForClassLoader.ofBootLoader()
                : ClassFileLocator.ForClassLoader.of(classLoader));
    }

    /** The last class loader checked and its type pool: the fixes of one library share most of the types they read. */
    private java.lang.ref.WeakReference<Object> pooledLoader;
    private TypePool pool;

    /** Synchronized for the cache only: building a pool asks the loader nothing; resolving types later does. */
    private synchronized TypePool poolFor(ClassLoader classLoader) {
        Object key = classLoader == null ? BOOTSTRAP : classLoader;
        if (pool == null || pooledLoader == null || pooledLoader.get() != key) {
            pool = newPool(classLoader);
            pooledLoader = new java.lang.ref.WeakReference<Object>(key);
        }
        return pool;
    }

    private static String findMissing(Fix fix, Relocation relocation, ClassLoader classLoader, TypePool pool) {
        for (TypePatch patch : fix.patches()) {
            String typeName = relocation.apply(patch.typeName());
            TypePool.Resolution resolution = pool.describe(typeName);
            if (!resolution.isResolved()) {
                if (patch.optional()) {
                    continue; // an optional part of the library that this loader does not have
                }
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
            for (TypePatch.MethodAdvice method : patch.advice()) {
                String missing = findMissingReference(pool, type, AdviceReferences.of(method.adviceClass(), relocation));
                if (missing != null) {
                    return missing + " (used by " + method.adviceClass().getSimpleName() + ")";
                }
            }
        }
        return null;
    }

    /**
     * What the advice's own code needs besides the advised method's signature: the fields of the patched type it reads
     * with {@code @Advice.FieldValue}, every library type it names, and every library field and method it uses, with
     * its exact descriptor, declared by the named type or one of its supertypes. Without this check a library version
     * that renamed one of them would get advice that fails on every call (a suppressed {@code NoSuchMethodError}).
     */
    static String findMissingReference(TypePool pool, TypeDescription patched, AdviceReferences references) {
        for (String field : references.fieldValues) {
            if (!declares(patched, field, null, true)) {
                return patched.getName() + " has no field " + field;
            }
        }
        for (String typeName : references.types) {
            if (!pool.describe(typeName).isResolved()) {
                return "no class " + typeName;
            }
        }
        for (AdviceReferences.Member member : references.members) {
            TypePool.Resolution owner = pool.describe(member.owner);
            if (!owner.isResolved()) {
                return "no class " + member.owner;
            }
            if (!declares(owner.resolve(), member.name, member.descriptor, member.field)) {
                return member.owner + " has no " + (member.field ? "field " : "method ") + member.name
                        + (member.field ? "" : member.descriptor);
            }
        }
        return null;
    }

    /** Whether {@code type} or one of its supertypes (classes and interfaces) declares the field or method. */
    private static boolean declares(TypeDescription type, String name, String descriptor, boolean field) {
        java.util.Deque<TypeDescription> queue = new java.util.ArrayDeque<TypeDescription>();
        java.util.Set<String> seen = new java.util.HashSet<String>();
        queue.add(type);
        while (!queue.isEmpty()) {
            TypeDescription current = queue.poll();
            if (!seen.add(current.getName())) {
                continue;
            }
            if (field) {
                for (net.bytebuddy.description.field.FieldDescription.InDefinedShape candidate
                        : current.getDeclaredFields()) {
                    if (candidate.getName().equals(name)
                            && (descriptor == null || candidate.getDescriptor().equals(descriptor))) {
                        return true;
                    }
                }
            } else {
                for (net.bytebuddy.description.method.MethodDescription.InDefinedShape candidate
                        : current.getDeclaredMethods()) {
                    if (candidate.getInternalName().equals(name) && candidate.getDescriptor().equals(descriptor)) {
                        return true;
                    }
                }
            }
            if ("<init>".equals(name)) {
                return false; // constructors are not inherited
            }
            if (current.getSuperClass() != null) {
                queue.add(current.getSuperClass().asErasure());
            }
            for (net.bytebuddy.description.type.TypeDescription.Generic implemented : current.getInterfaces()) {
                queue.add(implemented.asErasure());
            }
        }
        return false;
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
