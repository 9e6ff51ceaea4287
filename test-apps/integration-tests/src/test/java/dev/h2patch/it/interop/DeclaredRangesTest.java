package dev.h2patch.it.interop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The matrix's check of the agent's logged decisions against the versions each fix declares. */
class DeclaredRangesTest {

    private static final DeclaredRanges RANGES = DeclaredRanges.parse("[{\"fix\":\"early-settings\",\"library\":"
            + "\"Netty releases that leave the preface unflushed\",\"versions\":[{\"from\":\"4.1.77\",\"until\":"
            + "\"4.1.129\"},{\"from\":\"4.2.0\",\"until\":\"4.2.8\"}],\"implementation\":\"x\",\"types\":[]},"
            + "{\"fix\":\"connection-state\",\"library\":\"Jetty 9.4/10/11/12 (HTTP2Session)\",\"versions\":"
            + "[{\"from\":\"9.4\",\"until\":\"12.2\"}],\"implementation\":\"y\",\"types\":[\"a\"]}]");

    @Test
    void versionsCompareByTheirLeadingNumbers() {
        assertTrue(DeclaredRanges.compare("4.1.100.Final", "4.1.77") > 0);
        assertTrue(DeclaredRanges.compare("4.2.20.Final", "4.3") < 0);
        assertEquals(0, DeclaredRanges.compare("4.3", "4.3.0"));
        assertTrue(DeclaredRanges.compare("9.4.58.v20250814", "10") < 0);
        assertTrue(DeclaredRanges.compare("12.1.14", "12.2") < 0);
    }

    @Test
    void everyImplementationAndRangeIsRead() {
        assertEquals(2, RANGES.declared().size());
        assertEquals(2, RANGES.declared().get(0).ranges().size());
        assertTrue(RANGES.declared().get(0).declares("4.2.7.Final"));
        assertFalse(RANGES.declared().get(0).declares("4.2.8.Final"), "until is exclusive");
        assertTrue(RANGES.declared().get(0).declares("4.1.77.Final"), "from is inclusive");
    }

    @Test
    void aDecisionThatAgreesIsAcceptedAndOneThatDoesNotIsNamed() {
        List<DeclaredRanges.Check> agree = RANGES.check("early-settings",
                "active for Netty 4.1/4.2 (4.1.140.Final); skipped for Netty releases that leave the preface "
                        + "unflushed (4.1.140.Final) io.netty...PrefaceDecoder has no method sendPreface");
        assertEquals(1, agree.size(), "only the implementation declared in the JSON is checked");
        assertFalse(agree.get(0).active());
        assertNull(agree.get(0).problem());

        List<DeclaredRanges.Check> activeOutside = RANGES.check("early-settings",
                "active for Netty releases that leave the preface unflushed (4.2.9.Final)");
        assertEquals("active on 4.2.9.Final, outside its declared [4.1.77, 4.1.129) [4.2.0, 4.2.8)",
                activeOutside.get(0).problem());

        List<DeclaredRanges.Check> skippedInside = RANGES.check("connection-state",
                "skipped for Jetty 9.4/10/11/12 (HTTP2Session) (12.0.39) HTTP2Session has no method goAway");
        assertEquals("skipped on 12.0.39, inside its declared [9.4, 12.2)", skippedInside.get(0).problem());
    }

    @Test
    void aDecisionWithoutAVersionIsNotChecked() {
        assertTrue(RANGES.check("connection-state",
                "skipped for Jetty 9.4/10/11/12 (HTTP2Session) org.eclipse.jetty.http2.HTTP2Session is absent")
                .isEmpty());
        assertTrue(RANGES.check("early-settings", "").isEmpty());
    }
}
