package dev.h2patch.it.interop;

import dev.h2patch.it.Catalog;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Claims are the catalog's data: the fixes column, and http11-first making early-settings not applicable. */
class ClaimsTest {

    static final Set<String> ALL = Set.copyOf(Catalog.FIXES);

    static Catalog.App app(String name, String library, Set<String> connectors, Set<String> fixes) {
        return new Catalog.App(name, library, "1", "v", connectors, fixes, Set.of());
    }

    @Test
    void claimedIsTheFixesColumnUnlessNotApplicable() {
        Catalog.App h2c = app("n", "Netty", Set.of("h2c"), ALL);
        Catalog.App http11First = app("j", "Jetty", Set.of("http11-first", "h2c-only"), ALL);
        Catalog.App none = app("g", "grpc-java", Set.of("h2c"), Set.of());
        assertTrue(Claims.claimed("early-settings", h2c));
        assertFalse(Claims.claimed("early-settings", http11First));
        assertTrue(Claims.notApplicable("early-settings", http11First));
        assertFalse(Claims.notApplicable("end-stream", http11First));
        assertTrue(Claims.claimed("end-stream", http11First));
        assertFalse(Claims.claimed("end-stream", none));
    }

    /** Over TLS, ALPN picks h2 before any HTTP/2 byte, so an HTTP/1.1-first app's early-settings claim applies. */
    @Test
    void overTlsEarlySettingsAppliesToAnHttp11FirstApp() {
        Catalog.App http11First = app("j", "Jetty", Set.of("http11-first", "tls"), ALL);
        assertFalse(Claims.notApplicable("early-settings", http11First, true));
        assertTrue(Claims.claimed("early-settings", http11First, true));
        assertTrue(Claims.notApplicable("early-settings", http11First, false));
        Catalog.App notClaimed = app("u", "Undertow", Set.of("http11-first", "tls"), Set.of("end-stream"));
        assertFalse(Claims.claimed("early-settings", notClaimed, true));
    }

    @Test
    void summaryNamesTheLibrariesPerFix() {
        var apps = java.util.List.of(app("n", "Netty", Set.of("h2c"), ALL),
                app("j", "Jetty", Set.of("http11-first"), ALL),
                app("s", "Jetty", Set.of("sniffer"), Set.of("early-settings")),
                app("g", "grpc-java", Set.of("h2c"), Set.of()));
        assertEquals("Netty + Jetty (h2c/detecting connectors)", Claims.libraries("early-settings", apps));
        assertEquals("Netty + Jetty", Claims.libraries("end-stream", apps));
        assertTrue(Claims.summary(apps).contains("`proxy-safe-reset`: Netty + Jetty."));
    }

    @Test
    void theCatalogClaimsWhatTheLastInteropRunChecked() {
        // docs/interop.md (regenerated with README's claims before they became catalog data) checked these.
        assertEquals("Netty + Jetty + Tomcat + Undertow", Claims.libraries("end-stream", Catalog.apps()));
        assertEquals("Netty + Jetty + Tomcat + Undertow", Claims.libraries("connection-state", Catalog.apps()));
        assertEquals("Netty + Jetty (h2c/detecting connectors) + Undertow (h2c/detecting connectors)",
                Claims.libraries("early-settings", Catalog.apps()));
        assertEquals("Netty + Jetty + Tomcat", Claims.libraries("proxy-safe-reset", Catalog.apps()));
    }
}
