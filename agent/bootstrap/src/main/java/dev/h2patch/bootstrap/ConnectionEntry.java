package dev.h2patch.bootstrap;

import java.util.concurrent.ConcurrentMap;

/**
 * One connection's entry in a map keyed by {@link WeakIdentityKey}, kept only while the connection holds something
 * (Netty's deferred resets, Tomcat's held resets). Each entry is guarded by itself, so connections never share a lock;
 * it leaves the map, under its lock, when it empties. A caller that finds an entry {@link #removed} once it holds the
 * lock (it emptied between the look-up and the lock) takes a new one with {@link #of}.
 */
public abstract class ConnectionEntry {

    /** Makes a connection's entry. */
    public interface Factory<E extends ConnectionEntry> {
        E make(Object connection);
    }

    public final WeakIdentityKey key;
    private final ConcurrentMap<Object, ? extends ConnectionEntry> map;
    /** Set once the entry left the map; guarded by the entry. */
    public boolean removed;

    protected ConnectionEntry(Object connection, ConcurrentMap<Object, ? extends ConnectionEntry> map) {
        this.key = new WeakIdentityKey(connection);
        this.map = map;
    }

    /** Whether the connection holds nothing any more; the caller holds the lock. */
    protected abstract boolean isEmpty();

    /** Leaves the map if empty; the caller holds the lock. */
    public final void removeIfEmpty() {
        if (isEmpty() && !removed) {
            removed = true;
            map.remove(key, this);
        }
    }

    /** {@code connection}'s entry in {@code map}, made by {@code factory} when it has none. */
    public static <E extends ConnectionEntry> E of(ConcurrentMap<Object, E> map, Object connection,
                                                   Factory<E> factory) {
        E entry = map.get(new WeakIdentityKey.Probe(connection));
        if (entry == null) {
            E fresh = factory.make(connection);
            entry = map.putIfAbsent(fresh.key, fresh);
            if (entry == null) {
                entry = fresh;
            }
        }
        return entry;
    }
}
