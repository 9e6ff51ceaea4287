package dev.h2patch.it.bench;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Percentiles, ratios, medians and spreads as docs/performance.md shows them. */
class StatsTest {

    @Test
    void nearestRankPercentiles() {
        long[] hundred = new long[100];
        for (int i = 0; i < 100; i++) {
            hundred[i] = i + 1;
        }
        assertEquals(50L, Stats.percentile(hundred, 0.50));
        assertEquals(99L, Stats.percentile(hundred, 0.99));
        // Rank round(n * p), clamped to 1..n: with 3 values p50 is the 2nd (round(1.5) = 2), p99 the 3rd.
        long[] three = {10, 20, 30};
        assertEquals(20L, Stats.percentile(three, 0.50));
        assertEquals(30L, Stats.percentile(three, 0.99));
        assertEquals(7L, Stats.percentile(new long[] {7}, 0.50));
        assertEquals(7L, Stats.percentile(new long[] {7}, 0.99));
        assertNull(Stats.percentile(new long[0], 0.5));
        // 10 values: p99 rank round(9.9) = 10; p50 rank round(5.0) = 5.
        long[] ten = {1, 2, 3, 4, 5, 6, 7, 8, 9, 1000};
        assertEquals(5L, Stats.percentile(ten, 0.50));
        assertEquals(1000L, Stats.percentile(ten, 0.99));
    }

    @Test
    void ratios() {
        assertEquals(0.5, Stats.ratio(50, 100));
        assertTrue(Double.isNaN(Stats.ratio(50, 0)));
        assertTrue(Double.isNaN(Stats.ratio(Double.NaN, 100)));
    }

    @Test
    void medianMinMaxSkipNotMeasured() {
        assertEquals(2.0, Stats.median(List.of(3.0, 1.0, 2.0)));
        assertEquals(2.5, Stats.median(List.of(4.0, 1.0, 2.0, 3.0)));
        assertEquals(2.0, Stats.median(List.of(1.0, Double.NaN, 3.0)));
        assertTrue(Double.isNaN(Stats.median(List.of())));
        assertEquals(1.0, Stats.min(List.of(3.0, 1.0, Double.NaN)));
        assertEquals(3.0, Stats.max(List.of(3.0, 1.0, Double.NaN)));
    }

    @Test
    void formats() {
        assertEquals("0.929 (0.850–0.999)", Stats.spread(List.of(0.85, 0.929, 0.999), 3));
        assertEquals("**8.0** (7.9–8.6)", Stats.spreadBold(List.of(7.9, 8.0, 8.6), 1));
        assertEquals("n/a (n/a–n/a)", Stats.spread(List.of(), 1));
        assertEquals("1.00", Stats.f(0.999, 2));
        assertTrue(Double.isNaN(Stats.number("NA")));
        assertEquals(12.5, Stats.number("12.5"));
    }
}
