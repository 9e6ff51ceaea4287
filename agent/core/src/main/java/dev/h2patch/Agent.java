package dev.h2patch;

import dev.h2patch.bootstrap.H2patchRuntime;
import java.lang.instrument.Instrumentation;
import java.util.ArrayList;
import java.util.List;

/**
 * Entry points: {@code -javaagent} ({@link #premain}) and dynamic attach ({@link #agentmain}).
 *
 * <p>Both parse the options, put the helper classes on the bootstrap path, install the enabled fixes and print one
 * banner line. Nothing here may ever reach the application: a bad option or an unexpected failure prints one line on
 * stderr, installs nothing, and lets the application start and serve normally. Loading the agent a second time in the
 * same JVM is a no-op.
 */
public final class Agent {

    /** System property set once the agent is active; {@code jcmd PID VM.system_properties} shows it. */
    public static final String VERSION_PROPERTY = "h2patch.version";

    /**
     * Agent arguments that are a command to the running agent rather than options (dynamic attach only): {@code
     * command=detach} restores the original bytecode. Used by {@code java -jar h2patch-agent.jar detach PID}.
     */
    public static final String DETACH_COMMAND = "command=detach";

    /**
     * Control argument prefix (dynamic attach only): {@code command=status,file=PATH} writes the agent's state to
     * PATH, a file the {@code status} command created for it (owner-only) and deletes after reading; everything after
     * {@code file=} is the path. Opens nothing in the JVM (no JMX connector, no port).
     */
    public static final String STATUS_COMMAND = "command=status,file=";

    private static Installer installer;

    private Agent() {
    }

    public static void premain(String arguments, Instrumentation instrumentation) {
        start(arguments, instrumentation, "premain");
    }

    public static void agentmain(String arguments, Instrumentation instrumentation) {
        if (arguments != null && arguments.trim().equals(DETACH_COMMAND)) {
            detach();
            return;
        }
        if (arguments != null && arguments.startsWith(STATUS_COMMAND)) {
            status(arguments.substring(STATUS_COMMAND.length()));
            return;
        }
        start(arguments, instrumentation, "attach");
    }

    /** The agent's version, from the jar manifest. */
    public static String version() {
        String version = Agent.class.getPackage().getImplementationVersion();
        return version == null ? "dev" : version;
    }

    private static synchronized void start(String arguments, Instrumentation instrumentation, String how) {
        WeaverWarmUp.Handle warmUp = null;
        Installer installed = null;
        try {
            String active = System.getProperty(VERSION_PROPERTY);
            if (active != null) {
                Log.info("h2patch " + active + " is already active in this JVM; nothing to do");
                return;
            }
            Options options;
            try {
                options = Options.fromJvm(arguments);
            } catch (Options.InvalidOptionException e) {
                Log.error("invalid option: " + e.getMessage()
                        + " -- h2patch installed nothing; the application runs without it");
                return;
            }
            if (how.equals("premain") && !options.fixes().isEmpty()) {
                // Before the log and the installer: loading the weaver is most of the start-up cost (WeaverWarmUp).
                warmUp = WeaverWarmUp.start();
            }
            Log.init(options.log());
            for (String warning : options.warnings()) {
                Log.warn(warning);
            }
            Switches.apply(options);
            BootstrapInjector.syncSwitches();
            List<Fix> fixes = Fixes.enabled(options);
            Log.info(banner(options, fixes, how));
            installer = Installer.install(instrumentation, fixes);
            installed = fixes.isEmpty() ? null : installer;
            H2patchRuntime.moduleOpener = installer.moduleOpener();
            BootstrapInjector.syncSwitches();
            AgentState.installed(options, how);
            System.setProperty("h2patch.fixes", Options.join(options.fixes()));
            System.setProperty("h2patch.mode", options.mode().name().toLowerCase(java.util.Locale.ROOT));
            System.setProperty(VERSION_PROPERTY, version());
        } catch (Throwable t) {
            installed = null;
            Log.error("failed to start (" + t + ") -- the application runs without h2patch");
        } finally {
            if (warmUp != null) {
                warmUp.installerReady(installed);
            }
        }
    }

    /**
     * Restores the original bytecode of every class the agent changed, clears the state properties, unregisters
     * the MBean, sends the Jetty resets still held back and ends the Jetty reset timer thread ({@link Lifecycle}).
     * Methods running at that moment keep the patched code until they return. A later attach installs a new
     * transformer; the removed one is never reused.
     */
    private static synchronized void detach() {
        try {
            if (installer == null || System.getProperty(VERSION_PROPERTY) == null) {
                Log.info("h2patch is not active in this JVM; nothing to detach");
                return;
            }
            // Held-back Jetty resets go out now, through the advice still in place (which drops one whose stream
            // closed meanwhile); the second call sends any that advice still running held back in between.
            Lifecycle.stopHelpers();
            boolean reset = installer.uninstall();
            installer = null;
            H2patchRuntime.moduleOpener = null;
            BootstrapInjector.syncSwitches();
            AgentState.uninstalled();
            Lifecycle.stopHelpers();
            System.clearProperty("h2patch.fixes");
            System.clearProperty("h2patch.mode");
            System.clearProperty(VERSION_PROPERTY);
            Log.info("h2patch " + version() + " detached: " + (reset ? "original bytecode restored"
                    : "no loaded class was patched") + "; methods running now keep the patched code until they return");
        } catch (Throwable t) {
            Log.error("failed to detach (" + t + ")");
        }
    }

    /** A status request: the state into the command's file; a failure is the command's to report (no file). */
    private static void status(String file) {
        try {
            AgentState.statusRequest(file);
        } catch (Throwable t) {
            Log.warn("could not answer a status request (" + t + ")");
        }
    }

    private static String banner(Options options, List<Fix> fixes, String how) {
        List<String> missing = new ArrayList<String>();
        for (String name : options.fixes()) {
            if (!Fixes.isImplemented(name)) {
                missing.add(name);
            }
        }
        List<String> libraries = new ArrayList<String>();
        for (Fix fix : fixes) {
            StringBuilder entry = new StringBuilder(fix.toString());
            for (Relocation relocation : fix.relocations()) {
                entry.append(" +").append(relocation.label());
            }
            libraries.add(entry.toString());
        }
        return "h2patch " + version() + " (" + how + "): " + options
                + "; watching for " + (libraries.isEmpty() ? "nothing" : Options.join(libraries))
                + (missing.isEmpty() ? "" : "; not in this build: " + Options.join(missing));
    }

    /** The switches inlined advice reads; a separate class so the bootstrap copy is loaded only after injection. */
    private static final class Switches {
        static void apply(Options options) {
            H2patchRuntime.reportOnly = options.mode() == Options.Mode.REPORT;
            H2patchRuntime.resetDeferMillis = options.resetDeferMillis();
            H2patchRuntime.resetDeferBytes = options.resetDeferBytes();
            H2patchRuntime.shutdownDrainMillis = options.shutdownDrainMillis();
            H2patchRuntime.earlySettingsSniffers = options.earlySettingsSniffers();
            H2patchRuntime.idleDeferMaxMillis = options.idleDeferMaxMillis();
        }
    }
}
