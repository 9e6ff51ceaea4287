package dev.h2patch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * The agent's options, from (highest precedence first) the agent arguments {@code key=value,key=value}, the system
 * properties {@code h2patch.<key>}, and the environment variables {@code H2PATCH_<KEY>}.
 *
 * <p>A fix list is itself comma-separated, so in agent arguments a token without {@code =} continues the previous
 * key's value: {@code fixes=end-stream,early-settings,mode=report} sets two fixes and the mode. Anything unknown is
 * an {@link InvalidOptionException} whose message names the valid choices; the agent then installs nothing.
 */
public final class Options {

    /** What the fixes do when they find a bug. */
    public enum Mode {
        /** Repair the frames. */
        FIX,
        /** Count what would be repaired; change nothing. */
        REPORT
    }

    /** How much the agent writes to stderr. */
    public enum LogLevel {
        /** Errors and warnings only. */
        QUIET,
        /** A banner, the libraries matched, the fixes skipped. */
        INFO,
        /** Also every class transformed. */
        DEBUG
    }

    static final String KEY_FIXES = "fixes";
    static final String KEY_MODE = "mode";
    static final String KEY_LOG = "log";
    static final String KEY_RESET_DEFER_MS = "reset-defer-ms";
    static final String KEY_RESET_DEFER_BYTES = "reset-defer-bytes";
    static final String KEY_SHUTDOWN_DRAIN_MS = "shutdown-drain-ms";
    static final String KEY_EARLY_SETTINGS_SNIFFERS = "early-settings-sniffers";
    static final String KEY_IDLE_DEFER_MAX_MS = "idle-defer-max-ms";

    /** proxy-safe-reset: the time bound's default and the largest value accepted, in milliseconds. */
    static final long DEFAULT_RESET_DEFER_MS = 2000;
    static final long MAX_RESET_DEFER_MS = 600000;
    /** proxy-safe-reset: the byte bound's default and the largest value accepted. */
    static final long DEFAULT_RESET_DEFER_BYTES = 1 << 20;
    static final long MAX_RESET_DEFER_BYTES = Integer.MAX_VALUE;
    /**
     * connection-state: the drain bound's default and the largest value accepted; the application's own shutdown
     * timeout bounds the drain too, and a timeout of 0 ("now") is not drained at all ({@code ConnectionDrain}).
     */
    static final long DEFAULT_SHUTDOWN_DRAIN_MS = 30000;
    static final long MAX_SHUTDOWN_DRAIN_MS = 3600000;
    /** connection-state: the default and the largest accepted total time one connection's idle events are held back. */
    static final long DEFAULT_IDLE_DEFER_MAX_MS = 300000;
    static final long MAX_IDLE_DEFER_MAX_MS = 86400000;

    /** Every key the agent understands, in the order the docs list them. */
    public static final List<String> KEYS = Collections.unmodifiableList(Arrays.asList(KEY_FIXES, KEY_MODE, KEY_LOG,
            KEY_RESET_DEFER_MS, KEY_RESET_DEFER_BYTES, KEY_SHUTDOWN_DRAIN_MS, KEY_EARLY_SETTINGS_SNIFFERS,
            KEY_IDLE_DEFER_MAX_MS));

    /**
     * System properties under {@code h2patch.} that the agent sets to show its state and that are not option keys, so
     * never read as options. It also sets {@code h2patch.fixes} and {@code h2patch.mode}, whose values are in option
     * form; a second start in the same JVM ends at the "already active" check before reading any.
     */
    static final Set<String> STATE_PROPERTIES = Collections.singleton("version");

    private final Set<String> fixes;
    private final Mode mode;
    private final LogLevel log;
    private final List<String> warnings;
    private final long resetDeferMillis;
    private final long resetDeferBytes;
    private final long shutdownDrainMillis;
    private boolean earlySettingsSniffers = true;
    private final long idleDeferMaxMillis;

    private Options(Set<String> fixes, Mode mode, LogLevel log, List<String> warnings, long resetDeferMillis,
                    long resetDeferBytes, long shutdownDrainMillis, long idleDeferMaxMillis) {
        this.fixes = fixes;
        this.mode = mode;
        this.log = log;
        this.warnings = warnings;
        this.resetDeferMillis = resetDeferMillis;
        this.resetDeferBytes = resetDeferBytes;
        this.shutdownDrainMillis = shutdownDrainMillis;
        this.idleDeferMaxMillis = idleDeferMaxMillis;
    }

    /** The defaults: every fix, fix mode, info logging. */
    public static Options defaults() {
        return new Options(new LinkedHashSet<String>(Fixes.NAMES), Mode.FIX, LogLevel.INFO,
                Collections.<String>emptyList(), DEFAULT_RESET_DEFER_MS, DEFAULT_RESET_DEFER_BYTES,
                DEFAULT_SHUTDOWN_DRAIN_MS, DEFAULT_IDLE_DEFER_MAX_MS);
    }

    /** Reads the options from this JVM: agent arguments, then system properties, then the environment. */
    public static Options fromJvm(String agentArguments) throws InvalidOptionException {
        return parse(agentArguments, System.getProperties(), System.getenv());
    }

    static Options parse(String agentArguments, Properties systemProperties, Map<String, String> environment)
            throws InvalidOptionException {
        Map<String, Setting> settings = new LinkedHashMap<String, Setting>();
        List<String> warnings = new ArrayList<String>();
        readEnvironment(environment, settings, warnings);
        readSystemProperties(systemProperties, settings);
        readAgentArguments(agentArguments, settings);

        Options defaults = defaults();
        Set<String> fixes = settings.containsKey(KEY_FIXES) ? parseFixes(settings.get(KEY_FIXES)) : defaults.fixes;
        Mode mode = settings.containsKey(KEY_MODE)
                ? parseEnum(Mode.class, settings.get(KEY_MODE)) : defaults.mode;
        LogLevel log = settings.containsKey(KEY_LOG)
                ? parseEnum(LogLevel.class, settings.get(KEY_LOG)) : defaults.log;
        long resetDeferMillis = settings.containsKey(KEY_RESET_DEFER_MS)
                ? parseLong(settings.get(KEY_RESET_DEFER_MS), 1, MAX_RESET_DEFER_MS) : defaults.resetDeferMillis;
        long resetDeferBytes = settings.containsKey(KEY_RESET_DEFER_BYTES)
                ? parseLong(settings.get(KEY_RESET_DEFER_BYTES), 1, MAX_RESET_DEFER_BYTES) : defaults.resetDeferBytes;
        long shutdownDrainMillis = settings.containsKey(KEY_SHUTDOWN_DRAIN_MS)
                ? parseLong(settings.get(KEY_SHUTDOWN_DRAIN_MS), 1, MAX_SHUTDOWN_DRAIN_MS) : defaults.shutdownDrainMillis;
        long idleDeferMaxMillis = settings.containsKey(KEY_IDLE_DEFER_MAX_MS)
                ? parseLong(settings.get(KEY_IDLE_DEFER_MAX_MS), 1, MAX_IDLE_DEFER_MAX_MS) : defaults.idleDeferMaxMillis;
        Options options = new Options(Collections.unmodifiableSet(fixes), mode, log,
                Collections.unmodifiableList(warnings), resetDeferMillis, resetDeferBytes, shutdownDrainMillis,
                idleDeferMaxMillis);
        if (settings.containsKey(KEY_EARLY_SETTINGS_SNIFFERS)) {
            options.earlySettingsSniffers = parseOnOff(settings.get(KEY_EARLY_SETTINGS_SNIFFERS));
        }
        return options;
    }

    /** Things worth telling the operator that did not stop the agent, such as an unknown environment variable. */
    public List<String> warnings() {
        return warnings;
    }

    public Set<String> fixes() {
        return fixes;
    }

    public boolean isEnabled(String fixName) {
        return fixes.contains(fixName);
    }

    public Mode mode() {
        return mode;
    }

    public LogLevel log() {
        return log;
    }

    /** proxy-safe-reset: how long a reset after a complete response waits for the client's END_STREAM. */
    public long resetDeferMillis() {
        return resetDeferMillis;
    }

    /** proxy-safe-reset: how many request bytes it discards meanwhile before the reset is sent anyway. */
    public long resetDeferBytes() {
        return resetDeferBytes;
    }

    /**
     * connection-state: the longest HTTP/2 connections are drained before an event loop group shuts down; the
     * application's shutdown timeout bounds the drain too (the smaller wins), and a timeout of 0 is not drained.
     */
    public long shutdownDrainMillis() {
        return shutdownDrainMillis;
    }

    /**
     * early-settings: whether the fix may write an empty SETTINGS frame for a port sniffer that holds the client
     * preface (on by default); off leaves only the preface flush and Jetty's SETTINGS at connection open.
     */
    public boolean earlySettingsSniffers() {
        return earlySettingsSniffers;
    }

    /**
     * connection-state: the most that the idle events (or read timeouts) of one connection's idle handler, or the idle
     * timeouts of one closing Jetty session, are held back in total.
     */
    public long idleDeferMaxMillis() {
        return idleDeferMaxMillis;
    }

    /** The options in agent-argument form, as the banner and the system properties show them. */
    @Override
    public String toString() {
        return KEY_MODE + "=" + lower(mode) + " " + KEY_FIXES + "=" + join(fixes) + " " + KEY_LOG + "=" + lower(log);
    }

    /**
     * Unlike agent arguments and system properties, which only an operator writes for this agent, the environment is
     * shared with wrappers and platforms that may define their own {@code H2PATCH_*} variables: an unknown one is a
     * warning, not an error. A known key with a bad value is still an error.
     */
    private static void readEnvironment(Map<String, String> environment, Map<String, Setting> settings,
                                        List<String> warnings) throws InvalidOptionException {
        for (Map.Entry<String, String> entry : environment.entrySet()) {
            String name = entry.getKey();
            if (name.startsWith("H2PATCH_")) {
                String key = name.substring("H2PATCH_".length()).toLowerCase(Locale.ROOT).replace('_', '-');
                if (KEYS.contains(key)) {
                    put(settings, key, entry.getValue(), "environment variable " + name);
                } else {
                    warnings.add("ignoring environment variable " + name + ": not an h2patch option (valid: "
                            + join(KEYS) + ")");
                }
            }
        }
    }

    private static void readSystemProperties(Properties properties, Map<String, Setting> settings)
            throws InvalidOptionException {
        for (String name : properties.stringPropertyNames()) {
            if (name.startsWith("h2patch.")) {
                String key = name.substring("h2patch.".length());
                if (!STATE_PROPERTIES.contains(key)) {
                    put(settings, key, properties.getProperty(name), "system property " + name);
                }
            }
        }
    }

    private static void readAgentArguments(String arguments, Map<String, Setting> settings)
            throws InvalidOptionException {
        if (arguments == null || arguments.trim().isEmpty()) {
            return;
        }
        String key = null;
        StringBuilder value = new StringBuilder();
        for (String token : arguments.split(",", -1)) {
            int equals = token.indexOf('=');
            if (equals < 0) {
                if (key == null) {
                    throw new InvalidOptionException("agent argument '" + token.trim()
                            + "' is not key=value; valid keys: " + join(KEYS));
                }
                // A comma inside a list value (fixes=a,b): continue the previous key.
                value.append(',').append(token);
                continue;
            }
            if (key != null) {
                put(settings, key, value.toString(), "agent arguments");
            }
            key = token.substring(0, equals).trim();
            value.setLength(0);
            value.append(token.substring(equals + 1));
        }
        if (key != null) {
            put(settings, key, value.toString(), "agent arguments");
        }
    }

    private static void put(Map<String, Setting> settings, String key, String value, String source)
            throws InvalidOptionException {
        if (!KEYS.contains(key)) {
            throw new InvalidOptionException("unknown option '" + key + "' (from " + source + "); valid options: "
                    + join(KEYS));
        }
        settings.put(key, new Setting(key, value.trim(), source));
    }

    private static Set<String> parseFixes(Setting setting) throws InvalidOptionException {
        Set<String> fixes = new LinkedHashSet<String>();
        for (String name : setting.value.split(",")) {
            name = name.trim();
            if (name.equals("all")) {
                fixes.addAll(Fixes.NAMES);
            } else if (Fixes.NAMES.contains(name)) {
                fixes.add(name);
            } else {
                throw new InvalidOptionException("unknown fix '" + name + "' in " + setting + "; valid fixes: "
                        + join(Fixes.NAMES) + ", or all");
            }
        }
        return fixes;
    }

    private static long parseLong(Setting setting, long min, long max) throws InvalidOptionException {
        long value;
        try {
            value = Long.parseLong(setting.value);
        } catch (NumberFormatException e) {
            value = Long.MIN_VALUE;
        }
        if (value < min || value > max) {
            throw new InvalidOptionException("invalid value '" + setting.value + "' in " + setting
                    + "; valid values: an integer from " + min + " to " + max);
        }
        return value;
    }

    private static boolean parseOnOff(Setting setting) throws InvalidOptionException {
        if ("on".equals(setting.value)) {
            return true;
        }
        if ("off".equals(setting.value)) {
            return false;
        }
        throw new InvalidOptionException("invalid value '" + setting.value + "' in " + setting
                + "; valid values: on, off");
    }

    private static <E extends Enum<E>> E parseEnum(Class<E> type, Setting setting) throws InvalidOptionException {
        List<String> names = new ArrayList<String>();
        for (E constant : type.getEnumConstants()) {
            if (lower(constant).equals(setting.value)) {
                return constant;
            }
            names.add(lower(constant));
        }
        throw new InvalidOptionException("invalid value '" + setting.value + "' in " + setting + "; valid values: "
                + join(names));
    }

    private static String lower(Enum<?> constant) {
        return constant.name().toLowerCase(Locale.ROOT);
    }

    static String join(Iterable<String> values) {
        StringBuilder text = new StringBuilder();
        for (String value : values) {
            text.append(text.length() == 0 ? "" : ", ").append(value);
        }
        return text.toString();
    }

    /** One key's raw value and where it came from, for error messages. */
    private static final class Setting {
        final String key;
        final String value;
        final String source;

        Setting(String key, String value, String source) {
            this.key = key;
            this.value = value;
            this.source = source;
        }

        @Override
        public String toString() {
            return key + "=" + value + " (from " + source + ")";
        }
    }

    /** An option the agent does not understand; the message names the valid choices. */
    public static final class InvalidOptionException extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidOptionException(String message) {
            super(message);
        }
    }
}
