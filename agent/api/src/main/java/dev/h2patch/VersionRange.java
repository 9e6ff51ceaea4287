package dev.h2patch;

import java.util.ArrayList;
import java.util.List;

/**
 * The library versions a fix is written and checked for: from {@link #from} (inclusive) up to {@link #until}
 * (exclusive). Data, not a gate: the installer decides by the fit check alone (a library whose version string is
 * unknown or unusual is still patched when every advised member fits), and the compatibility matrix
 * (docs/compatibility.md) checks that each fix is active inside its range and skipped outside it.
 *
 * <p>Versions compare by their numeric parts in order ({@code 9.4.58.v20250814} is 9.4.58.20250814,
 * {@code 4.1.77.Final} is 4.1.77): enough for the version schemes of Netty and Jetty.
 */
public final class VersionRange {

    private final String from;
    private final String until;

    private VersionRange(String from, String until) {
        this.from = from;
        this.until = until;
    }

    /** {@code from <= version < until}. */
    public static VersionRange of(String from, String until) {
        if (compare(from, until) >= 0) {
            throw new IllegalArgumentException("empty range " + from + " .. " + until);
        }
        return new VersionRange(from, until);
    }

    public String from() {
        return from;
    }

    public String until() {
        return until;
    }

    /** Whether {@code version} is in the range; false for a version with no number in it. */
    public boolean contains(String version) {
        if (version == null || numbers(version).isEmpty()) {
            return false;
        }
        return compare(from, version) <= 0 && compare(version, until) < 0;
    }

    /** Compares two versions by their numeric parts; a missing part counts as 0 ({@code 4.3} equals {@code 4.3.0}). */
    public static int compare(String a, String b) {
        List<Long> x = numbers(a);
        List<Long> y = numbers(b);
        for (int i = 0; i < Math.max(x.size(), y.size()); i++) {
            long p = i < x.size() ? x.get(i) : 0;
            long q = i < y.size() ? y.get(i) : 0;
            if (p != q) {
                return p < q ? -1 : 1;
            }
        }
        return 0;
    }

    private static List<Long> numbers(String version) {
        List<Long> parts = new ArrayList<Long>();
        long current = -1;
        for (int i = 0; i < version.length(); i++) {
            char c = version.charAt(i);
            if (c >= '0' && c <= '9') {
                current = (current < 0 ? 0 : current * 10) + (c - '0');
                if (current > Integer.MAX_VALUE) {
                    current = Integer.MAX_VALUE;
                }
            } else if (current >= 0) {
                parts.add(current);
                current = -1;
            }
        }
        if (current >= 0) {
            parts.add(current);
        }
        return parts;
    }

    /** {@code [from, until)}, as docs and {@code java -jar h2patch-agent.jar fixes} print it. */
    @Override
    public String toString() {
        return "[" + from + ", " + until + ")";
    }
}
