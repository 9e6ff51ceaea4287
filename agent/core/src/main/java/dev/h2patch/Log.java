package dev.h2patch;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.simple.SimpleServiceProvider;

/**
 * The agent's log: stderr only, never the application's stdout.
 *
 * <p>Backed by the bundled slf4j-simple, relocated under {@code dev.h2patch.shaded}, so the application's own slf4j
 * binding and configuration are neither used nor disturbed. slf4j-simple reads its settings from system properties
 * once, when the first logger is created (slf4j-simple 2.0: {@code SimpleLogger.lazyInit} reads the
 * {@code SimpleLoggerConfiguration} once, and the one logger's level is computed in its constructor); the relocation
 * rewrites the property names below too, so they never collide with the application's. They are set only around that
 * first {@code getLogger} and cleared right after it, so no h2patch system property is left in the JVM besides the
 * documented {@code h2patch.*} state properties (which detach removes).
 */
final class Log {

    private static volatile Logger logger;

    private Log() {
    }

    /** Sets the level; must run before the first line is logged. */
    static synchronized void init(Options.LogLevel level) {
        if (logger != null) {
            return;
        }
        String defaultLevel = level == Options.LogLevel.DEBUG ? "debug"
                : level == Options.LogLevel.INFO ? "info" : "warn";
        List<String> set = new ArrayList<String>();
        try {
            setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", defaultLevel, set);
            setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err", set);
            setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false", set);
            setIfAbsent("org.slf4j.simpleLogger.showLogName", "true", set);
            setIfAbsent("org.slf4j.simpleLogger.showDateTime", "false", set);
            // The provider itself, not LoggerFactory: LoggerFactory finds its provider with a ServiceLoader, which
            // scans the boot layer's modules and every jar of the application's class path for a service file only
            // this jar has. Measured on a cold JVM with an application jar on the class path: 20-31 ms that way,
            // 13-17 ms this way, on premain's thread (issue 20: start-up).
            SimpleServiceProvider provider = new SimpleServiceProvider();
            provider.initialize();
            logger = provider.getLoggerFactory().getLogger("h2patch");
        } finally {
            // Read once above; a property someone else set stays theirs.
            for (String key : set) {
                System.clearProperty(key);
            }
        }
    }

    private static void setIfAbsent(String key, String value, List<String> set) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
            set.add(key);
        }
    }

    private static Logger logger() {
        Logger current = logger;
        if (current == null) {
            init(Options.LogLevel.INFO);
            current = logger;
        }
        return current;
    }

    static void info(String message) {
        logger().info(message);
    }

    static void debug(String message) {
        logger().debug(message);
    }

    static boolean isDebug() {
        return logger().isDebugEnabled();
    }

    static void warn(String message) {
        logger().warn(message);
    }

    static void warn(String message, Throwable cause) {
        logger().warn(message, cause);
    }

    /** For problems found before the log is configured (bad options): one plain line on stderr. */
    static void error(String message) {
        System.err.println("h2patch: " + message);
    }
}
