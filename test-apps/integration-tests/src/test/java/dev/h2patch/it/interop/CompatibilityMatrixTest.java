package dev.h2patch.it.interop;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The matrix's versions come from the catalog: its plain apps as built, plus the older versions built from them. */
class CompatibilityMatrixTest {

    @Test
    void versionsFromTheCatalog() {
        List<CompatibilityMatrix.Variant> variants = CompatibilityMatrix.variants();
        List<String> apps = variants.stream().map(v -> v.app().name()).distinct().toList();
        assertEquals(List.of("netty-server", "netty42-server", "grpc-shaded-netty-server", "netty41-floor-server",
                "grpc-server", "jetty94-server", "jetty10-server", "jetty11-server", "jetty120-server",
                "jetty121-server", "tomcat9-server", "tomcat101-server", "tomcat11-server", "undertow22-server",
                "undertow23-server", "undertow24-server", "undertow22-servlet-server", "undertow23-servlet-server",
                "spring-webflux-server", "vertx-grpc-server",
                "spring-jetty-server", "armeria-server"), apps);
        assertEquals(apps.size() + dev.h2patch.it.Catalog.variants().size(), variants.size(),
                "each matrix app as built, plus each catalog variant once");
        CompatibilityMatrix.Variant older = variants.get(0);
        assertEquals("Netty 4.1.100.Final", older.label());
        assertTrue(older.rebuilt());
        assertEquals("netty-server-netty-4.1.100.Final", older.dirName());
        CompatibilityMatrix.Variant asBuilt = variants.get(1);
        assertTrue(asBuilt.label().matches("Netty 4\\.1\\.\\d+\\.Final \\(netty-server\\)"), asBuilt.label());
        assertTrue(variants.stream().anyMatch(v -> v.label().equals("Netty 4.1.77.Final (netty41-floor-server)")));
        assertTrue(variants.stream().anyMatch(v -> v.label().matches("Spring Boot WebFlux 4\\.\\d+\\.\\d+ "
                + "\\(spring-webflux-server\\)")), "a framework's app is labelled with the framework's version");
    }

    /** The frameworks section has one row per framework's app, with its verdicts, and no plain library app. */
    @Test
    void frameworksSectionListsTheFrameworkAppsOnly() {
        List<CompatibilityMatrix.Variant> variants = CompatibilityMatrix.variants();
        CompatibilityMatrix.Variant spring = variants.stream()
                .filter(v -> v.app().name().equals("spring-webflux-server")).findFirst().orElseThrow();
        CompatibilityMatrix.Variant netty = variants.get(1);
        String md = CompatibilityMatrix.renderFrameworks(List.of(
                new CompatibilityMatrix.Result(netty, "end-stream", "**fixed**", "", "", "", false),
                new CompatibilityMatrix.Result(spring, "end-stream", "not needed", "", "", "", false),
                new CompatibilityMatrix.Result(spring, "proxy-safe-reset", "not needed", "", "", "", false)));
        assertTrue(md.contains("| " + spring.label() + " | not needed | not run | not run | not needed |"), md);
        assertTrue(!md.contains(netty.label()), md);
        assertTrue(md.contains("[frameworks.md](frameworks.md)"), md);
    }
}
