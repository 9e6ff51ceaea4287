package dev.h2patch;

import java.util.Collections;
import java.util.List;

/**
 * One fix for one library line: what it matches and what it advises. The agent's installer does the rest.
 *
 * <p>A fix is declarative. It names the bug it repairs ({@link #name()}, one of {@link FixNames#NAMES}), the library it
 * is written for and its versions ({@link #versions()}), the types and methods it advises ({@link #patches()}), and the package relocations under which the
 * same library also ships (grpc-java's {@code io.grpc.netty.shaded.io.netty}). Before a fix touches a class loader,
 * the installer checks that every advised method exists there with the declared signature, and that every library
 * member the advice itself uses exists too; if one does not, the fix is skipped in that loader with one log line,
 * never half-applied (and a fix whose advice cannot be inlined into one of its classes is rolled back whole).
 *
 * <p>A fix module registers its fixes in {@code META-INF/services/dev.h2patch.Fix} (one class name per line, each with
 * a public no-argument constructor); the agent finds them with {@link java.util.ServiceLoader}. No list in the core
 * names them.
 */
public abstract class Fix {

    /** The stable name used in configuration, logs and docs, e.g. {@code end-stream}. */
    public abstract String name();

    /** The library line this fix is written for, for logs, e.g. {@code Netty 4.1/4.2}. */
    public abstract String library();

    /** The types and methods this fix advises; all of them must fit, or the fix is skipped. */
    public abstract List<TypePatch> patches();

    /** Other packages the same library ships under; the fix is installed once more for each. */
    public List<Relocation> relocations() {
        return Collections.emptyList();
    }

    /**
     * The library versions this fix is written and checked for (data for docs, {@code fixes} and the compatibility
     * matrix; the installer decides by the fit check alone).
     */
    public abstract List<VersionRange> versions();

    /**
     * The helper classes (in {@code dev.h2patch.bootstrap} or below) with a {@code public static void stop()} that
     * detach must call: each ends what the fix still holds (held-back frames go out, its timer thread ends). Empty
     * when the fix holds nothing.
     */
    public List<String> helpersToStopOnDetach() {
        return Collections.emptyList();
    }

    /** The version of the library as loaded by {@code loader}, for logs, or {@code null} when unknown. */
    public String libraryVersion(ClassLoader loader, Relocation relocation) {
        return null;
    }

    @Override
    public String toString() {
        return name() + " for " + library();
    }
}
