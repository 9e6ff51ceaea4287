package dev.h2patch.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/**
 * The catalog of test apps (test-apps/catalog.txt) and its reader: parsing, and the catalog against the build, so that
 * the list of apps and the list of modules cannot drift apart. Reads files only; starts no child JVM.
 */
class CatalogTest {
    /** Modules of test-apps/pom.xml that are not apps. */
    private static final Set<String> NOT_APPS = Set.of("benchmark/jmh", "integration-tests");
    private static final Set<String> LIBRARIES = Set.of("Netty", "Jetty", "grpc-java", "Tomcat", "Undertow");
    private static final Set<String> CONNECTORS = Set.of("h2c", "http11-first", "h2c-only", "h2c-only-port",
            "sniffer", "relay", Catalog.MODULE_PATH, "tls");
    private static final Set<String> ROLES = Set.of("quick", "h2spec-quick", "benchmark", "demo");
    private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");

    @Test
    void parsesColumnsListsAndComments() {
        List<Catalog.App> apps = Catalog.parse(List.of(
                "# a comment",
                "",
                "  # an indented comment",
                "a-server  Netty  4.1  a.version  h2c,sniffer  end-stream,early-settings  quick,demo",
                "b-server  Jetty  12.0 b.version  module-path,http11-first  -  -"));
        assertEquals(2, apps.size());
        Catalog.App a = apps.get(0);
        assertEquals("a-server", a.name());
        assertEquals("Netty 4.1", a.libraryLine());
        assertEquals("a.version", a.versionProperty());
        assertEquals(List.of("h2c", "sniffer"), List.copyOf(a.connectors()), "connectors keep their order");
        assertTrue(a.claims("end-stream") && a.claims("early-settings") && !a.claims("connection-state"));
        assertTrue(a.hasRole("demo") && !a.hasRole("benchmark"));
        assertTrue(a.runsAsJar());
        assertEquals("h2c", a.mainConnector());
        Catalog.App b = apps.get(1);
        assertTrue(b.fixes().isEmpty() && b.roles().isEmpty(), "\"-\" is an empty list");
        assertFalse(b.runsAsJar());
        assertEquals("http11-first", b.mainConnector(), "module-path says how it starts, not how it listens");
    }

    @Test
    void rejectsAWrongColumnCountAndAnUnknownFix() {
        IllegalArgumentException columns = assertThrows(IllegalArgumentException.class,
                () -> Catalog.parse(List.of("a-server Netty 4.1 a.version h2c end-stream")));
        assertTrue(columns.getMessage().contains("line 1") && columns.getMessage().contains("6 columns"),
                columns.getMessage());
        IllegalArgumentException fix = assertThrows(IllegalArgumentException.class,
                () -> Catalog.parse(List.of("#", "a-server Netty 4.1 a.version h2c end-stream,nonsense -")));
        assertTrue(fix.getMessage().contains("line 2") && fix.getMessage().contains("nonsense"), fix.getMessage());
    }

    @Test
    void variantLinesAreOtherReleasesOfAnApp() {
        Catalog.Contents contents = Catalog.parseContents(List.of(
                "a-server  Netty  4.1  a.version  h2c  end-stream  -",
                "variant a-server  a.version=4.1.100.Final,b.version=2  Netty 4.1.100.Final (with b 2)"));
        assertEquals(1, contents.apps().size());
        Catalog.Variant v = contents.variants().get(0);
        assertEquals("a-server", v.app());
        assertEquals(List.of("a.version=4.1.100.Final", "b.version=2"), v.properties());
        assertEquals("Netty 4.1.100.Final (with b 2)", v.label(), "the label is the rest of the line");
        IllegalArgumentException noApp = assertThrows(IllegalArgumentException.class,
                () -> Catalog.parseContents(List.of("variant c-server a.version=1 C 1")));
        assertTrue(noApp.getMessage().contains("c-server"), noApp.getMessage());
        IllegalArgumentException notAProperty = assertThrows(IllegalArgumentException.class,
                () -> Catalog.parseContents(List.of("a-server Netty 4.1 a.version h2c - -",
                        "variant a-server 4.1.100.Final Netty 4.1.100")));
        assertTrue(notAProperty.getMessage().contains("line 2"), notAProperty.getMessage());
    }

    @Test
    void queriesSelectInCatalogOrder() {
        assertThrows(IllegalArgumentException.class, () -> Catalog.app("no-such-server"));
        List<String> jetty = Catalog.claiming("Jetty", "end-stream").collect(Collectors.toList());
        assertFalse(jetty.isEmpty());
        for (String name : jetty) {
            assertEquals("Jetty", Catalog.app(name).library(), name);
            assertTrue(Catalog.app(name).claims("end-stream"), name);
        }
        List<String> all = Catalog.apps().stream().map(Catalog.App::name).collect(Collectors.toList());
        List<String> sorted = new ArrayList<>(jetty);
        sorted.sort((x, y) -> Integer.compare(all.indexOf(x), all.indexOf(y)));
        assertEquals(sorted, jetty);
    }

    /** Every value in test-apps/catalog.txt is one the header comment describes, and every name is unique. */
    @Test
    void theCatalogUsesOnlyKnownValues() {
        Set<String> names = new LinkedHashSet<>();
        for (Catalog.App app : Catalog.apps()) {
            assertTrue(names.add(app.name()), "twice in the catalog: " + app.name());
            assertTrue(LIBRARIES.contains(app.library()), app.name() + ": library " + app.library());
            assertTrue(CONNECTORS.containsAll(app.connectors()), app.name() + ": connectors " + app.connectors());
            assertFalse(app.connectors().isEmpty(), app.name() + " lists no connector");
            assertTrue(ROLES.containsAll(app.roles()), app.name() + ": roles " + app.roles());
        }
        assertEquals(1, Catalog.names(a -> a.hasRole("demo")).count(), "exactly one demo app");
    }

    /** The catalog's apps are the app modules of test-apps/pom.xml, no more and no fewer. */
    @Test
    void everyAppIsAModuleAndEveryModuleAnApp() throws IOException {
        Path testApps = Repo.root().resolve("test-apps");
        Matcher m = MODULE.matcher(Files.readString(testApps.resolve("pom.xml")));
        Set<String> modules = new TreeSet<>();
        while (m.find()) {
            modules.add(m.group(1).strip());
        }
        modules.removeAll(NOT_APPS);
        Set<String> apps = Catalog.apps().stream().map(Catalog.App::name).collect(Collectors.toCollection(TreeSet::new));
        assertEquals(modules, apps, "test-apps/pom.xml <module>s (less " + NOT_APPS + ") vs test-apps/catalog.txt");
    }

    /** Each app's folder builds an artifact of its name (the jar is target/APP.jar), at the version property named. */
    @Test
    void everyAppPomNamesItselfAndItsVersionProperty() throws IOException {
        String rootPom = Files.readString(Repo.root().resolve("pom.xml"));
        for (Catalog.App app : Catalog.apps()) {
            Path pom = Repo.root().resolve("test-apps").resolve(app.name()).resolve("pom.xml");
            assertTrue(Files.isRegularFile(pom), "no " + pom);
            String text = Files.readString(pom);
            assertTrue(text.contains("<artifactId>" + app.name() + "</artifactId>"), pom + " builds another artifact");
            String property = "${" + app.versionProperty() + "}";
            assertTrue(text.contains(property), pom + " does not build with " + property);
            String definition = "<" + app.versionProperty() + ">";
            assertTrue(text.contains(definition) || rootPom.contains(definition),
                    app.versionProperty() + " is defined neither in " + pom + " nor in the root pom");
        }
    }

    /** Each variant overrides properties its app's build really uses (else the "other release" is the same jar). */
    @Test
    void everyVariantOverridesPropertiesItsAppBuildsWith() throws IOException {
        for (Catalog.Variant v : Catalog.variants()) {
            String pom = Files.readString(Repo.root().resolve("test-apps").resolve(v.app()).resolve("pom.xml"));
            for (String property : v.properties()) {
                String name = property.substring(0, property.indexOf('='));
                assertTrue(pom.contains("${" + name + "}"), v.app() + "'s pom does not build with ${" + name + "}");
            }
        }
    }
}
