package dev.h2patch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's log: stderr only, never the application's stdout.
 *
 * <p>Backed by the bundled slf4j-simple, relocated under {@code dev.h2patch.shaded}, so the application's own slf4j
 * binding and configuration are neither used nor disturbed. slf4j-simple reads its settings from system properties
 * once; the relocation rewrites the property names below too, so they never collide with the application's.
 */
final class Log {

    private static volatile Logger logger;

    private Log() {
    }

    /** Sets the level; must run before the first line is logged. */
    static void init(Options.LogLevel level) {
        if (logger != null) {
            return;
        }
        String defaultLevel = level == Options.LogLevel.DEBUG ? "debug"
                : level == Options.LogLevel.INFO ? "info" : "warn";
        setIfAbsent("org.slf4j.simpleLogger.defaultLogLevel", defaultLevel);
        setIfAbsent("org.slf4j.simpleLogger.logFile", "System.err");
        setIfAbsent("org.slf4j.simpleLogger.showThreadName", "false");
        setIfAbsent("org.slf4j.simpleLogger.showLogName", "true");
        setIfAbsent("org.slf4j.simpleLogger.showDateTime", "false");
        logger = LoggerFactory.getLogger("h2patch");
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
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
