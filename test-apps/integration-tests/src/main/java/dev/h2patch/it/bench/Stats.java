package dev.h2patch.it.bench;

import java.util.List;
import java.util.Locale;

/**
 * The benchmark's arithmetic: percentiles of h2load's per-request log, ratios, medians and spreads, the number formats
 * of docs/performance.md. NaN stands for "not measured" throughout and is skipped by the aggregates.
 */
public final class Stats {
    private Stats() {}

    /**
     * The nearest-rank percentile {@code p} (0..1) of values sorted ascending: the value at 1-based rank
     * {@code round(n * p)}, at least 1 and at most n. Null when there are no values.
     */
    public static Long percentile(long[] sorted, double p) {
        int n = sorted.length;
        if (n == 0) {
            return null;
        }
        int rank = (int) (n * p + 0.5);
        rank = Math.max(1, Math.min(n, rank));
        return sorted[rank - 1];
    }

    /** with ÷ without; NaN when either is not measured or without is 0. */
    public static double ratio(double with, double without) {
        return without == 0 ? Double.NaN : with / without;
    }

    public static double median(List<Double> xs) {
        double[] v = xs.stream().filter(x -> !x.isNaN()).mapToDouble(Double::doubleValue).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    public static double min(List<Double> xs) {
        return xs.stream().filter(x -> !x.isNaN()).mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
    }

    public static double max(List<Double> xs) {
        return xs.stream().filter(x -> !x.isNaN()).mapToDouble(Double::doubleValue).max().orElse(Double.NaN);
    }

    /** {@code v} with {@code decimals} decimals, {@code n/a} when not measured. */
    public static String f(double v, int decimals) {
        return Double.isNaN(v) ? "n/a" : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** {@code median (min–max)}. */
    public static String spread(List<Double> xs, int decimals) {
        return f(median(xs), decimals) + " (" + f(min(xs), decimals) + "–" + f(max(xs), decimals) + ")";
    }

    /** {@code **median** (min–max)}. */
    public static String spreadBold(List<Double> xs, int decimals) {
        return "**" + f(median(xs), decimals) + "** (" + f(min(xs), decimals) + "–" + f(max(xs), decimals) + ")";
    }

    /** Parses a number, NaN when it is not one (an empty or "NA" field). */
    public static double number(String s) {
        try {
            return Double.parseDouble(s);
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }
}
