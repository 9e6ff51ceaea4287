package dev.h2patch;

import java.util.Collections;
import java.util.Properties;

/** What the command line ({@code dev.h2patch.cli}) needs from the agent's package-private parts. */
public final class CliSupport {

    private CliSupport() {
    }

    /**
     * Checks agent arguments the way the agent will parse them, without this JVM's system properties and environment
     * (the target JVM has its own). Returns {@code null} when they are valid, else the message the agent would print.
     */
    public static String invalidOptions(String agentArguments) {
        try {
            Options.parse(agentArguments, new Properties(), Collections.<String, String>emptyMap());
            return null;
        } catch (Options.InvalidOptionException e) {
            return e.getMessage();
        }
    }

    /** Every fix implementation in this jar, as the fix modules register them. */
    public static java.util.List<Fix> fixes() {
        return Fixes.all();
    }

    /** The stable fix names, in the order the docs list them. */
    public static java.util.List<String> fixNames() {
        return Fixes.NAMES;
    }
}
