package dev.h2patch;

import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;

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
        String missing = findMissing(fix, relocation, shapesFor(classLoader));
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
        return findMissing(fix, relocation, ClassShapes.of(classLoader));
    }

    /** The last class loader checked and its classes' shapes: the fixes of one library share most of the types they read. */
    private java.lang.ref.WeakReference<Object> shapesLoader;
    private ClassShapes shapes;

    /** Synchronized for the cache only: creating it asks the loader nothing; reading class files later does. */
    private synchronized ClassShapes shapesFor(ClassLoader classLoader) {
        Object key = classLoader == null ? BOOTSTRAP : classLoader;
        if (shapes == null || shapesLoader == null || shapesLoader.get() != key) {
            shapes = ClassShapes.of(classLoader);
            shapesLoader = new java.lang.ref.WeakReference<Object>(key);
        }
        return shapes;
    }

    static String findMissing(Fix fix, Relocation relocation, ClassShapes shapes) {
        for (TypePatch patch : fix.patches()) {
            String typeName = relocation.apply(patch.typeName());
            ClassShapes.Shape type = shapes.describe(typeName);
            if (type == null) {
                if (patch.optional()) {
                    continue; // an optional part of the library that this loader does not have
                }
                return "no class " + typeName;
            }
            for (TypePatch.MethodAdvice method : patch.advice()) {
                if (countAdvisable(type, method, relocation) != 1) {
                    return typeName + " has no method " + method.signature(relocation);
                }
            }
            for (TypePatch.MethodAdvice method : patch.advice()) {
                String missing = findMissingReference(shapes, type, AdviceReferences.of(method.adviceClass(), relocation));
                if (missing != null) {
                    return missing + " (used by " + method.adviceClass().getSimpleName() + ")";
                }
            }
        }
        return null;
    }

    /** How many of the type's declared methods the weaver would advise for {@code method}. */
    static int countAdvisable(ClassShapes.Shape type, TypePatch.MethodAdvice method, Relocation relocation) {
        int matches = 0;
        for (ClassShapes.Member candidate : type.methods) {
            if (method.isAdvised(candidate.name, candidate.isBridge(), candidate.parameterTypeNames(), relocation)) {
                matches++;
            }
        }
        return matches;
    }

    /**
     * What the advice's own code needs besides the advised method's signature: the fields of the patched type it reads
     * with {@code @Advice.FieldValue}, every library type it names, and every library field and method it uses, with
     * its exact descriptor, declared by the named type or one of its supertypes. Without this check a library version
     * that renamed one of them would get advice that fails on every call (a suppressed {@code NoSuchMethodError}).
     */
    static String findMissingReference(ClassShapes shapes, ClassShapes.Shape patched, AdviceReferences references) {
        for (String field : references.fieldValues) {
            if (!declares(shapes, patched, field, null, true)) {
                return patched.name + " has no field " + field;
            }
        }
        for (String typeName : references.types) {
            if (shapes.describe(typeName) == null) {
                return "no class " + typeName;
            }
        }
        for (AdviceReferences.Member member : references.members) {
            ClassShapes.Shape owner = shapes.describe(member.owner);
            if (owner == null) {
                return "no class " + member.owner;
            }
            if (!declares(shapes, owner, member.name, member.descriptor, member.field)) {
                return member.owner + " has no " + (member.field ? "field " : "method ") + member.name
                        + (member.field ? "" : member.descriptor);
            }
        }
        return null;
    }

    /**
     * Whether {@code type} or one of its supertypes (classes and interfaces) declares the field or method. A supertype
     * whose class file the loader cannot read is passed over, as one that does not declare it.
     */
    private static boolean declares(ClassShapes shapes, ClassShapes.Shape type, String name, String descriptor,
                                    boolean field) {
        java.util.Deque<ClassShapes.Shape> queue = new java.util.ArrayDeque<ClassShapes.Shape>();
        java.util.Set<String> seen = new java.util.HashSet<String>();
        queue.add(type);
        while (!queue.isEmpty()) {
            ClassShapes.Shape current = queue.poll();
            if (!seen.add(current.name)) {
                continue;
            }
            for (ClassShapes.Member candidate : field ? current.fields : current.methods) {
                if (candidate.name.equals(name) && (descriptor == null || candidate.descriptor.equals(descriptor))) {
                    return true;
                }
            }
            if ("<init>".equals(name)) {
                return false; // constructors are not inherited
            }
            List<String> supertypes = new ArrayList<String>(current.interfaces.size() + 1);
            if (current.superName != null) {
                supertypes.add(current.superName);
            }
            supertypes.addAll(current.interfaces);
            for (String supertype : supertypes) {
                ClassShapes.Shape shape = shapes.describe(supertype);
                if (shape != null) {
                    queue.add(shape);
                }
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
