package dev.h2patch.bootstrap;

import java.lang.ref.WeakReference;

/**
 * A {@link java.util.concurrent.ConcurrentHashMap} key for a library object (a connection, a stream) by identity, held
 * weakly: the library's own {@code equals}/{@code hashCode} are never called, and a map entry does not keep the object
 * alive. Look an entry up with a {@link Probe}, which holds the object strongly only for the look-up.
 */
public final class WeakIdentityKey extends WeakReference<Object> {
    private final int hash;

    public WeakIdentityKey(Object referent) {
        super(referent);
        this.hash = System.identityHashCode(referent);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public boolean equals(Object other) {
        if (other == this) {
            return true;
        }
        Object mine = get();
        if (mine == null) {
            return false; // a collected object's key equals only itself
        }
        return other instanceof Probe ? ((Probe) other).referent == mine
                : other instanceof WeakIdentityKey && ((WeakIdentityKey) other).get() == mine;
    }

    /** The look-up key of {@code referent}: equal to its {@link WeakIdentityKey} while that one's object lives. */
    public static final class Probe {
        final Object referent;

        public Probe(Object referent) {
            this.referent = referent;
        }

        @Override
        public int hashCode() {
            return System.identityHashCode(referent);
        }

        @Override
        public boolean equals(Object other) {
            return other instanceof WeakIdentityKey && ((WeakIdentityKey) other).get() == referent;
        }
    }
}
