package dev.h2patch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class VersionRangeTest {

    @Test
    void comparesNettyAndJettyVersionStringsByTheirNumbers() {
        assertTrue(VersionRange.compare("4.1.77.Final", "4.1.140.Final") < 0);
        assertTrue(VersionRange.compare("9.4.58.v20250814", "9.4.9.v20180320") > 0);
        assertEquals(0, VersionRange.compare("4.3", "4.3.0"));
        assertTrue(VersionRange.compare("12.1.0", "12.0.39") > 0);
    }

    @Test
    void fromIsInclusiveAndUntilExclusive() {
        VersionRange netty = VersionRange.of("4.1.77", "4.3");
        assertTrue(netty.contains("4.1.77.Final"));
        assertTrue(netty.contains("4.2.20.Final"));
        assertFalse(netty.contains("4.1.76.Final"));
        assertFalse(netty.contains("4.3.0.Alpha1"));
        assertFalse(netty.contains("grpc-netty-shaded"), "no number: not in any range");
        assertFalse(netty.contains(null));
        assertEquals("[4.1.77, 4.3)", netty.toString());
    }

    @Test
    void anEmptyRangeIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> VersionRange.of("12", "12"));
    }
}
