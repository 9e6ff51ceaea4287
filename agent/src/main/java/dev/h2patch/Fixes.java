package dev.h2patch;

import dev.h2patch.jetty10.Jetty10EarlySettingsFix;
import dev.h2patch.jetty10.Jetty10EndStreamFix;
import dev.h2patch.jetty10.Jetty10ProxySafeResetFix;
import dev.h2patch.jetty12.Jetty12EarlySettingsFix;
import dev.h2patch.jetty12.Jetty12EndStreamFix;
import dev.h2patch.jetty12.Jetty12ProxySafeResetFix;
import dev.h2patch.jetty9.Jetty9EndStreamFix;
import dev.h2patch.jetty9.Jetty9GracefulStopFix;
import dev.h2patch.jetty9.Jetty9ProxySafeResetFix;
import dev.h2patch.jetty9.JettyConnectionStateFix;
import dev.h2patch.netty.NettyConnectionStateFix;
import dev.h2patch.netty.NettyEarlySettingsFix;
import dev.h2patch.netty.NettyEndStreamFix;
import dev.h2patch.netty.NettyPrefaceFlushFix;
import dev.h2patch.netty.NettyProxySafeResetFix;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/** The registry: every fix the agent knows, by stable name. Adding a fix means adding it to {@link #ALL}. */
public final class Fixes {

    public static final String END_STREAM = FixNames.END_STREAM;
    public static final String CONNECTION_STATE = FixNames.CONNECTION_STATE;
    public static final String EARLY_SETTINGS = FixNames.EARLY_SETTINGS;
    public static final String PROXY_SAFE_RESET = FixNames.PROXY_SAFE_RESET;

    /** The stable fix names, as used in configuration, logs and docs. */
    public static final List<String> NAMES = FixNames.NAMES;

    /** Every fix implementation, for every library line. */
    static final List<Fix> ALL = Collections.unmodifiableList(Arrays.<Fix>asList(
            new NettyEndStreamFix(),
            new Jetty9EndStreamFix(),
            new Jetty10EndStreamFix(),
            new Jetty12EndStreamFix(),

            new NettyConnectionStateFix(),
            new JettyConnectionStateFix(),
            new Jetty9GracefulStopFix(),

            new NettyEarlySettingsFix(),
            new NettyPrefaceFlushFix(),
            new Jetty10EarlySettingsFix(),
            new Jetty12EarlySettingsFix(),

            new NettyProxySafeResetFix(),
            new Jetty9ProxySafeResetFix(),
            new Jetty10ProxySafeResetFix(),
            new Jetty12ProxySafeResetFix()));

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
