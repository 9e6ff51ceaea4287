package dev.h2patch;

import dev.h2patch.bootstrap.AgentThreads;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.WeakHashMap;
import java.util.concurrent.TimeUnit;
import net.bytebuddy.dynamic.ClassFileLocator;

/**
 * Takes the weaving of a library's classes off the threads that load them (issue 20: start-up and the first HTTP/2
 * connection).
 *
 * <p>A library's advised classes load at different moments: Netty's event loop group at start, its HTTP/2 codec at
 * the first connection, on the event loop that accepted it, which then waited for each weave. So one short-lived
 * daemon thread per class loader, {@code h2patch-weave-ahead}, reads from the loader the class files of its advised
 * types (as resources: no class is loaded) and weaves them with the fixes that fit there, exactly as a load would. It
 * starts at premain for the system class loader (where {@code java -jar} and {@code -cp} applications live), and for
 * any other loader once its first advised class has been patched.
 *
 * <p>When an advised class then loads, the installer takes the woven bytes instead of weaving again, provided the
 * bytes the JVM hands it are the ones that were read and the same fixes still fit; otherwise (another agent changed
 * the class first, a fix was rolled back meanwhile) it weaves as before. A class that is still waiting its turn is
 * woven next, and the loading thread waits for it rather than weaving the same class in parallel: on a cold JVM the
 * first weave is mostly Byte Buddy's classes being loaded and run for the first time, which the weave-ahead thread has
 * then been doing since premain. It waits only in a parallel-capable class loader (elsewhere the loading thread holds
 * the loader's lock, which the weave-ahead thread's resource reads may need) and for at most {@link #WAIT_BOUND_MS};
 * then it weaves the class itself. A weave that fails here caches nothing and reports nothing: the class's own load
 * then weaves it and reports the failure as always.
 *
 * <p>Bounds: one thread per class loader, once, ended when its weaves are; at most one woven class file per advised
 * type a loader has and has not loaded yet, dropped when the class loads, on detach, or with the loader (held
 * weakly); a loading thread waits at most {@link #WAIT_BOUND_MS}. Not for the bootstrap loader (no library of the
 * fixes lives there).
 */
final class AheadOfLoadWeaver {

    /** The longest a loading thread waits for the weave-ahead thread to finish its class. */
    static final long WAIT_BOUND_MS = 5000;

    /** One advised type of one loader: waiting, being woven, or done (then {@link #patched} may be null). */
    private static final class Entry {
        boolean started;
        boolean done;
        boolean wanted;
        byte[] original;
        byte[] patched;
        List<AdviceWeaver.Target> targets;
    }

    /** What decides which of a type's targets apply in a loader: the installer's own rule. */
    interface Fitting {
        List<AdviceWeaver.Target> fitting(List<AdviceWeaver.Target> forType, ClassLoader loader);
    }

    private final Map<String, List<AdviceWeaver.Target>> targets;
    private final Fitting fitting;

    /** Guarded by {@code this}. Per loader, in weaving order: the advised types it has class files for. */
    private final Map<ClassLoader, Map<String, Entry>> entries = new WeakHashMap<ClassLoader, Map<String, Entry>>();
    /** Guarded by {@code this}. Per loader: advised types it has loaded (never woven ahead again). */
    private final Map<ClassLoader, Set<String>> loaded = new WeakHashMap<ClassLoader, Set<String>>();
    /** Guarded by {@code this}. Loaders whose weave-ahead thread has been started. */
    private final Set<ClassLoader> started = java.util.Collections.newSetFromMap(new WeakHashMap<ClassLoader, Boolean>());
    /** Guarded by {@code this}. */
    private boolean closed;

    private final ThreadLocal<Boolean> weavingAhead = new ThreadLocal<Boolean>();

    AheadOfLoadWeaver(Map<String, List<AdviceWeaver.Target>> targets, Fitting fitting) {
        this.targets = targets;
        this.fitting = fitting;
    }

    /**
     * Called by the installer for each advised class a loader loads, before it weaves it: the bytes woven ahead for
     * it, or {@code null} when there are none that fit (then the caller weaves).
     */
    byte[] take(ClassLoader loader, String internalName, byte[] classFile, List<AdviceWeaver.Target> fittingNow) {
        if (loader == null || weavingAhead.get() != null) {
            return null;
        }
        Entry entry;
        boolean done;
        synchronized (this) {
            if (closed) {
                return null;
            }
            seen(loader).add(internalName);
            Map<String, Entry> forLoader = entries.get(loader);
            entry = forLoader == null ? null : forLoader.get(internalName);
            if (entry == null) {
                return null;
            }
            if (!entry.done) {
                if (!mayWait(loader)) {
                    forLoader.remove(internalName); // the thread skips it; this load weaves it
                    return null;
                }
                entry.wanted = true;
                long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(WAIT_BOUND_MS);
                boolean interrupted = false;
                while (!entry.done && !closed) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    try {
                        wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
                    } catch (InterruptedException e) {
                        interrupted = true;
                    }
                }
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
            forLoader.remove(internalName);
            done = entry.done;
        }
        if (!done || entry.patched == null || !entry.targets.equals(fittingNow)
                || !Arrays.equals(entry.original, classFile)) {
            return null;
        }
        return entry.patched;
    }

    /**
     * Called by the installer once it has patched an advised class of {@code loader}: the first time, starts the
     * weave-ahead thread for the loader's other advised classes (after that weave, so as not to compete with it).
     */
    void patched(ClassLoader loader) {
        if (loader != null && claim(loader)) {
            start(loader);
        }
    }

    /**
     * Premain: weaves ahead the system class loader's advised classes on the calling thread (the warm-up thread);
     * returns how many of its advised types the loader has class files for (0: nothing was woven).
     */
    int weaveAheadAtStart(ClassLoader systemLoader) {
        if (systemLoader == null || !claim(systemLoader)) {
            return 0;
        }
        return weaveAhead(systemLoader);
    }

    /** Detach: forget everything; a weave-ahead thread still running stores nothing more, and no one waits for it. */
    synchronized void close() {
        closed = true;
        entries.clear();
        loaded.clear();
        notifyAll();
    }

    private synchronized boolean claim(ClassLoader loader) {
        return !closed && started.add(loader);
    }

    private Set<String> seen(ClassLoader loader) {
        Set<String> seen = loaded.get(loader);
        if (seen == null) {
            seen = new HashSet<String>();
            loaded.put(loader, seen);
        }
        return seen;
    }

    private void start(final ClassLoader loader) {
        AgentThreads.newThread(new Runnable() {
            @Override
            public void run() {
                weaveAhead(loader);
            }
        }, "h2patch-weave-ahead").start();
    }

    /** Lists the loader's advised types, then weaves them (a wanted one first); returns how many were listed. */
    int weaveAhead(ClassLoader loader) {
        long start = System.nanoTime();
        weavingAhead.set(Boolean.TRUE);
        try {
            ClassFileLocator locator = ClassFileLocator.ForClassLoader.of(loader);
            Map<String, Entry> listed = new LinkedHashMap<String, Entry>();
            for (String internalName : targets.keySet()) {
                try {
                    ClassFileLocator.Resolution resolution = locator.locate(internalName.replace('/', '.'));
                    if (resolution.isResolved()) {
                        Entry entry = new Entry();
                        entry.original = resolution.resolve();
                        listed.put(internalName, entry);
                    }
                } catch (Throwable t) {
                    continue; // no class file to read: nothing to weave ahead
                }
            }
            int count;
            synchronized (this) {
                if (closed) {
                    return 0;
                }
                Set<String> seen = seen(loader);
                listed.keySet().removeAll(seen);
                count = listed.size();
                entries.put(loader, listed);
            }
            int woven = 0;
            Map.Entry<String, Entry> next;
            while ((next = next(loader)) != null) {
                String typeName = next.getKey().replace('/', '.');
                Entry entry = next.getValue();
                try {
                    List<AdviceWeaver.Target> forLoader = fitting.fitting(targets.get(next.getKey()), loader);
                    if (!forLoader.isEmpty()) {
                        entry.targets = forLoader;
                        entry.patched = AdviceWeaver.weave(typeName, entry.original, loader, forLoader);
                        woven++;
                    }
                } catch (Throwable t) {
                    entry.patched = null; // the load weaves this class itself and reports what goes wrong there
                    if (Log.isDebug()) {
                        Log.debug("could not weave " + typeName + " ahead of its load (" + t + "); its load will");
                    }
                }
                synchronized (this) {
                    entry.done = true;
                    if (entry.patched == null) {
                        Map<String, Entry> forLoader = entries.get(loader);
                        if (forLoader != null && !entry.wanted) {
                            forLoader.remove(next.getKey());
                        }
                    }
                    notifyAll();
                }
            }
            if (Log.isDebug()) {
                Log.debug("woven ahead of load: " + woven + " class(es) in " + loader + " in "
                        + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms");
            }
            return count;
        } finally {
            weavingAhead.remove();
        }
    }

    /** The next type to weave: one a loading thread waits for, else the first not started; null when none is left. */
    private synchronized Map.Entry<String, Entry> next(ClassLoader loader) {
        Map<String, Entry> forLoader = entries.get(loader);
        if (closed || forLoader == null) {
            return null;
        }
        Map.Entry<String, Entry> first = null;
        for (Map.Entry<String, Entry> candidate : forLoader.entrySet()) {
            Entry entry = candidate.getValue();
            if (entry.started) {
                continue;
            }
            if (entry.wanted) {
                first = candidate;
                break;
            }
            if (first == null) {
                first = candidate;
            }
        }
        if (first != null) {
            first.getValue().started = true;
        }
        return first;
    }

    /**
     * Whether a loading thread may wait here: only in a parallel-capable loader (Java 9+ says so; on Java 8 never),
     * which locks per class name, so the weave-ahead thread's reads from it cannot need a lock the waiting thread
     * holds.
     */
    private static boolean mayWait(ClassLoader loader) {
        Method isParallel = IS_PARALLEL_CAPABLE;
        if (isParallel == null) {
            return false;
        }
        try {
            return Boolean.TRUE.equals(isParallel.invoke(loader));
        } catch (Throwable t) {
            return false;
        }
    }

    private static final Method IS_PARALLEL_CAPABLE = isParallelCapableMethod();

    private static Method isParallelCapableMethod() {
        try {
            return ClassLoader.class.getMethod("isRegisteredAsParallelCapable");
        } catch (Throwable t) {
            return null; // Java 8
        }
    }

    /** For tests: the names woven ahead (or waiting their turn) in {@code loader}. */
    synchronized List<String> waitingNames(ClassLoader loader) {
        Map<String, Entry> forLoader = entries.get(loader);
        return forLoader == null ? new ArrayList<String>() : new ArrayList<String>(forLoader.keySet());
    }

    /** For tests: the names woven ahead and ready in {@code loader}. */
    synchronized List<String> readyNames(ClassLoader loader) {
        List<String> ready = new ArrayList<String>();
        Map<String, Entry> forLoader = entries.get(loader);
        if (forLoader != null) {
            for (Map.Entry<String, Entry> entry : forLoader.entrySet()) {
                if (entry.getValue().done && entry.getValue().patched != null) {
                    ready.add(entry.getKey());
                }
            }
        }
        return ready;
    }
}
