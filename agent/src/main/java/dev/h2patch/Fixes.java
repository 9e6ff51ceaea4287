package dev.h2patch;

import dev.h2patch.netty.NettyEndStreamFix;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/** The registry: every fix the agent knows, by stable name. Adding a fix means adding it to {@link #ALL}. */
public final class Fixes {

    public static final String END_STREAM = "end-stream";
    public static final String CONNECTION_STATE = "connection-state";
    public static final String EARLY_SETTINGS = "early-settings";
    public static final String PROXY_SAFE_RESET = "proxy-safe-reset";

    /** The stable fix names, as used in configuration, logs and docs. */
    public static final List<String> NAMES = Collections.unmodifiableList(
            Arrays.asList(END_STREAM, CONNECTION_STATE, EARLY_SETTINGS, PROXY_SAFE_RESET));

    /** Every fix implementation, for every library line. */
    static final List<Fix> ALL = Collections.unmodifiableList(Arrays.<Fix>asList(
            new NettyEndStreamFix()));

    private Fixes() {
    }

    /** The implementations of the fixes named in {@code options}. */
    static List<Fix> enabled(Options options) {
        List<Fix> enabled = new java.util.ArrayList<Fix>();
        for (Fix fix : ALL) {
            if (options.isEnabled(fix.name())) {
                enabled.add(fix);
            }
        }
        return enabled;
    }

    /** Whether this build has at least one implementation of the fix named {@code name}. */
    static boolean isImplemented(String name) {
        for (Fix fix : ALL) {
            if (fix.name().equals(name)) {
                return true;
            }
        }
        return false;
    }
}
