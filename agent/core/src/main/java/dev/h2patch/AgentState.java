package dev.h2patch;

import dev.h2patch.bootstrap.Counters;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import javax.management.MBeanServer;
import javax.management.MBeanServerFactory;
import javax.management.ObjectName;
import javax.management.StandardMBean;

/**
 * The agent's state while it is installed, for operators: the lines {@link Compatibility} logged (which library
 * versions each fix is active for or skipped in), and the counters, exposed as the {@link H2patchMXBean} MBean
 * {@value H2patchMXBean#OBJECT_NAME}.
 *
 * <p>Counters are shown relative to the moment of installation, so that a detach followed by a new attach starts
 * from zero without resetting the helper classes (which advice of the old installation may still be running).
 */
final class AgentState {

    private static final String BOOTSTRAP_COUNTERS = "dev.h2patch.bootstrap.Counters";
    private static final int MAX_LIBRARY_LINES = 200;

    private static final List<String> libraries = new ArrayList<String>();
    private static volatile Installation current;
    private static Installation registered;

    private AgentState() {
    }

    /** A line {@link Compatibility} logged: a fix active for, or skipped in, one library in one class loader. */
    static void library(String line) {
        synchronized (libraries) {
            if (libraries.size() < MAX_LIBRARY_LINES) {
                libraries.add(line);
            }
        }
    }

    /**
     * Called once the transformer is installed: takes the counter baseline and registers the MBean, but only in a
     * platform MBean server that already exists ({@link #platformServer()}). The agent never creates that server
     * itself: creating it initializes java.util.logging, which before the application's main method has run breaks
     * servers that install their own log manager (WildFly, JBoss), and it would stay behind after a detach. When no
     * server exists yet, the first {@code status} request that finds one registers the MBean
     * ({@link #statusRequest}).
     */
    static void installed(Options options, String loadedBy) {
        Installation installation = new Installation(options, loadedBy, snapshot());
        current = installation;
        register(installation);
    }

    /**
     * A {@code status} request ({@code command=status,file=...}, see {@code StatusCommand}): registers the MBean if
     * the platform MBean server exists by now, then writes the state to {@code file}, which the command created
     * (owner-only) and deletes after reading. The file is opened without {@code CREATE} and without following a
     * link: the agent writes only into the file the command made for it. Nothing is opened or started.
     */
    static void statusRequest(String file) throws IOException {
        Installation installation = current;
        if (installation != null) {
            register(installation);
        }
        Properties state = new Properties();
        if (installation == null) {
            state.setProperty("active", "false");
        } else {
            state.setProperty("active", "true");
            state.setProperty("version", installation.getVersion());
            state.setProperty("mode", installation.getMode());
            state.setProperty("loadedBy", installation.getLoadedBy());
            state.setProperty("installedAt", Long.toString(installation.getInstalledAt()));
            putList(state, "fixes", installation.getFixes());
            putList(state, "libraries", installation.getActiveLibraries());
            Map<String, Long> counters = installation.getCounters();
            state.setProperty("counters.count", Integer.toString(counters.size()));
            int i = 0;
            for (Map.Entry<String, Long> counter : counters.entrySet()) {
                state.setProperty("counters." + i + ".name", counter.getKey());
                state.setProperty("counters." + i + ".value", Long.toString(counter.getValue()));
                i++;
            }
        }
        OutputStream out = Files.newOutputStream(Paths.get(file), StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING, LinkOption.NOFOLLOW_LINKS);
        try {
            state.store(out, null);
        } finally {
            out.close();
        }
    }

    private static void putList(Properties state, String key, String[] items) {
        state.setProperty(key + ".count", Integer.toString(items.length));
        for (int i = 0; i < items.length; i++) {
            state.setProperty(key + "." + i, items[i]);
        }
    }

    /**
     * The platform MBean server if the application (or the JVM's management agent, e.g. with
     * {@code -Dcom.sun.management.jmxremote}, or jconsole, or {@code jcmd ManagementAgent.start}) has created it,
     * else null. {@link MBeanServerFactory#findMBeanServer} only lists the servers made so far (the platform server is
     * made by {@code MBeanServerFactory.createMBeanServer()}); it creates none and loads no logging. Of those, the
     * platform server is the one with the platform MXBeans.
     */
    static MBeanServer platformServer() {
        try {
            ObjectName runtime = new ObjectName("java.lang:type=Runtime");
            for (MBeanServer server : MBeanServerFactory.findMBeanServer(null)) {
                if (server.isRegistered(runtime)) {
                    return server;
                }
            }
        } catch (Throwable t) {
            // A security manager that forbids the look-up: no MBean then.
        }
        return null;
    }

    private static synchronized void register(Installation installation) {
        if (current != installation || registered == installation) {
            return; // detached meanwhile, or done
        }
        MBeanServer server = platformServer();
        if (server == null) {
            return;
        }
        try {
            ObjectName name = new ObjectName(H2patchMXBean.OBJECT_NAME);
            if (server.isRegistered(name)) {
                server.unregisterMBean(name);
            }
            server.registerMBean(new StandardMBean(installation, H2patchMXBean.class, true), name);
            registered = installation;
        } catch (Throwable t) {
            Log.warn("could not register the " + H2patchMXBean.OBJECT_NAME + " MBean (" + t
                    + "); the fixes work, JMX clients cannot see them");
        }
    }

    /** Whether the MBean of the current installation is registered (for tests and status). */
    static synchronized boolean isRegistered() {
        return registered != null && registered == current;
    }

    /** Called on detach: unregisters the MBean (never creating an MBean server for it) and forgets the lines. */
    static synchronized void uninstalled() {
        boolean wasRegistered = registered != null;
        current = null;
        registered = null;
        synchronized (libraries) {
            libraries.clear();
        }
        if (!wasRegistered) {
            return;
        }
        try {
            MBeanServer server = platformServer();
            ObjectName name = new ObjectName(H2patchMXBean.OBJECT_NAME);
            if (server != null && server.isRegistered(name)) {
                server.unregisterMBean(name);
            }
        } catch (Throwable t) {
            Log.warn("could not unregister the " + H2patchMXBean.OBJECT_NAME + " MBean (" + t + ")");
        }
    }

    /** The current counter values, summed over both copies of the helper classes. */
    static long[] snapshot() {
        long[] values = new long[Counters.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = Counters.get(i);
        }
        Class<?> bootstrap = bootstrapCopy();
        if (bootstrap != null) {
            try {
                Method get = bootstrap.getMethod("get", int.class);
                int size = (Integer) bootstrap.getMethod("size").invoke(null);
                for (int i = 0; i < Math.min(size, values.length); i++) {
                    values[i] += (Long) get.invoke(null, i);
                }
            } catch (Throwable ignored) {
                // Only the system copy, then.
            }
        }
        return values;
    }

    /** The bootstrap class loader's copy of the counters, when it was injected and is not the one we use. */
    private static Class<?> bootstrapCopy() {
        if (!BootstrapInjector.isVisibleFrom(null)) {
            return null;
        }
        try {
            Class<?> copy = Class.forName(BOOTSTRAP_COUNTERS, true, null);
            return copy == Counters.class ? null : copy;
        } catch (Throwable t) {
            return null;
        }
    }

    /** One installation, from install to detach. */
    private static final class Installation implements H2patchMXBean {
        private final String mode;
        private final String[] fixes;
        private final String loadedBy;
        private final long installedAt = System.currentTimeMillis();
        private final long[] baseline;

        Installation(Options options, String loadedBy, long[] baseline) {
            this.mode = options.mode().name().toLowerCase(java.util.Locale.ROOT);
            Set<String> names = options.fixes();
            this.fixes = names.toArray(new String[0]);
            this.loadedBy = loadedBy;
            this.baseline = baseline;
        }

        @Override
        public String getVersion() {
            return Agent.version();
        }

        @Override
        public String getMode() {
            return mode;
        }

        @Override
        public String getLoadedBy() {
            return loadedBy;
        }

        @Override
        public long getInstalledAt() {
            return installedAt;
        }

        @Override
        public String[] getFixes() {
            return fixes.clone();
        }

        @Override
        public String[] getActiveLibraries() {
            synchronized (libraries) {
                return libraries.toArray(new String[0]);
            }
        }

        @Override
        public Map<String, Long> getCounters() {
            long[] now = snapshot();
            Map<String, Long> counters = new LinkedHashMap<String, Long>();
            for (int i = 0; i < now.length; i++) {
                counters.put(Counters.name(i), now[i] - (i < baseline.length ? baseline[i] : 0L));
            }
            return counters;
        }
    }
}
