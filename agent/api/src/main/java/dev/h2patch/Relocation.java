package dev.h2patch;

/**
 * A package prefix under which a library is also shipped, such as grpc-java's relocated Netty
 * ({@code io.netty.} becomes {@code io.grpc.netty.shaded.io.netty.}).
 *
 * <p>A fix is written once against the original package. For each relocation the installer rewrites the fix's type
 * names and the advice's bytecode (every reference to the original package) so that the same advice is inlined into
 * the shaded copy.
 */
public final class Relocation {

    /** No relocation: the library under its own package. */
    public static final Relocation NONE = new Relocation("", "", "");

    private final String from;
    private final String to;
    private final String label;

    private Relocation(String from, String to, String label) {
        this.from = from;
        this.to = to;
        this.label = label;
    }

    /** Maps names starting with {@code from} (a package prefix ending in a dot) to {@code to}. */
    public static Relocation of(String from, String to, String label) {
        if (!from.endsWith(".") || !to.endsWith(".")) {
            throw new IllegalArgumentException("package prefixes must end with a dot: " + from + " -> " + to);
        }
        return new Relocation(from, to, label);
    }

    /** Applies the relocation to a fully qualified (dotted) name. */
    public String apply(String name) {
        return from.isEmpty() || !name.startsWith(from) ? name : to + name.substring(from.length());
    }

    /** Applies the relocation to an internal (slashed) name, as found in bytecode. */
    public String applyInternal(String internalName) {
        String prefix = from.replace('.', '/');
        return from.isEmpty() || !internalName.startsWith(prefix)
                ? internalName
                : to.replace('.', '/') + internalName.substring(prefix.length());
    }

    public boolean isNone() {
        return from.isEmpty();
    }

    /** A short name for logs, e.g. {@code grpc-netty-shaded}; empty for {@link #NONE}. */
    public String label() {
        return label;
    }

    @Override
    public String toString() {
        return isNone() ? "(no relocation)" : label + " (" + from + "* -> " + to + "*)";
    }
}
