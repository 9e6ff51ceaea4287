package dev.h2patch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The command line's parts that need no other JVM: dispatch, help, usage errors, JSON, the wrapper resource. */
class CliUnitTest {

    private record Run(int exit, String out, String err) {}

    private static Run run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = Main.run(args, new PrintStream(out, true), new PrintStream(err, true));
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void everyCommandHasHelpWithTheExitCodes() {
        for (String command : List.of("list", "attach", "status", "detach", "wrapper", "fixes", "probe")) {
            Run help = run(command, "--help");
            assertEquals(0, help.exit(), command);
            assertTrue(help.out().startsWith("Usage: java -jar h2patch-agent.jar " + command), help.out());
            assertTrue(help.out().contains("Exit codes:") && help.out().contains("  10  attach:"), help.out());
        }
        Run top = run("--help");
        assertEquals(0, top.exit());
        assertTrue(top.out().contains("attach <pid>...") && top.out().contains("Exit codes:"), top.out());
    }

    @Test
    void fixesListsWhatTheFixModulesRegisterAndTheCoreRegistersNone() {
        Run json = run("fixes", "--json");
        assertEquals(0, json.exit(), json.err());
        assertEquals("[]", json.out().strip(), "the core alone has no fix");
        Run table = run("fixes");
        assertTrue(table.out().startsWith("FIX "), table.out());
        assertEquals(ExitCode.USAGE, run("fixes", "--yaml").exit());
    }

    @Test
    void usageErrorsExitTwo() {
        Run unknown = run("frobnicate");
        assertEquals(ExitCode.USAGE, unknown.exit());
        assertTrue(unknown.err().startsWith("h2patch: unknown command 'frobnicate'"), unknown.err());
        assertEquals(ExitCode.USAGE, run("attach").exit());
        // The pid checks must be what refuses these, not the missing agent jar (unit tests run from classes).
        Run notAPid = run("attach", "12x");
        assertEquals(ExitCode.USAGE, notAPid.exit());
        assertTrue(notAPid.err().contains("'12x' is not a process id"), notAPid.err());
        assertEquals(ExitCode.USAGE, run("attach", "1", "--all").exit());
        assertEquals(ExitCode.USAGE, run("status").exit());
        assertEquals(ExitCode.USAGE, run("detach", "1", "2").exit());
        Run itself = run("attach", Target.selfPid());
        assertEquals(ExitCode.USAGE, itself.exit(), "attaching to itself");
        assertTrue(itself.err().contains("is this command itself"), itself.err());
        Run detachItself = run("detach", Target.selfPid());
        assertEquals(ExitCode.USAGE, detachItself.exit());
        assertTrue(detachItself.err().contains("is this command itself"), detachItself.err());
        Run option = run("attach", "1", "mode=sometimes");
        assertEquals(ExitCode.USAGE, option.exit());
        assertTrue(option.err().contains("invalid value 'sometimes'") && option.err().contains("fix, report"),
                option.err());
    }

    @Test
    void wrapperPrintsTheEntrypointScript() {
        Run wrapper = run("wrapper");
        assertEquals(0, wrapper.exit(), wrapper.err());
        assertTrue(wrapper.out().startsWith("#!/bin/sh\n") && wrapper.out().contains("exec \"$@\""), wrapper.out());
        assertTrue(wrapper.out().contains("unset H2PATCH_AGENT_JAR H2PATCH_AGENT_OPTIONS"), wrapper.out());
    }

    @Test
    void jsonEscapesAndNests() {
        Map<String, Object> value = new LinkedHashMap<>();
        value.put("s", "a\"b\\c\n\u0001");
        value.put("n", 3L);
        value.put("list", List.of("x", 1));
        value.put("array", new String[] {"y"});
        value.put("null", null);
        assertEquals("{\"s\":\"a\\\"b\\\\c\\n\\u0001\",\"n\":3,\"list\":[\"x\",1],\"array\":[\"y\"],\"null\":null}",
                Json.write(value));
    }

    @Test
    void featureVersions() {
        Properties p = new Properties();
        p.setProperty("java.specification.version", "1.8");
        assertEquals(8, Target.featureVersion(p));
        p.setProperty("java.specification.version", "25");
        assertEquals(25, Target.featureVersion(p));
    }

    @Test
    void countersAreGroupedPerFix() {
        assertEquals(Map.of(), StatusCommand.group(null));
    }
}
