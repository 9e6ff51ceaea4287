package dev.h2patch;

import dev.h2patch.bootstrap.Counters;
import java.lang.management.ManagementFactory;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.management.MBeanServer;
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

    /** After -javaagent, how long the MBean registration waits for the application to start. */
    static final long PREMAIN_MBEAN_DELAY_MS = 10000;

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
     * Called once the transformer is installed: takes the counter baseline and registers the MBean on a daemon
     * thread, off the path that activates the fixes. After {@code -javaagent} the registration waits
     * {@value #PREMAIN_MBEAN_DELAY_MS} ms: creating the platform MBean server initializes java.util.logging, and doing
     * that before the application's main method has set its own log manager breaks servers that use one (WildFly,
     * JBoss). {@code status} does not wait for it: it asks for the registration at once ({@link #registerNow()}).
     */
    static void installed(Options options, String loadedBy) {
        final Installation installation = new Installation(options, loadedBy, snapshot());
        current = installation;
        final long delay = "premain".equals(loadedBy) ? PREMAIN_MBEAN_DELAY_MS : 0L;
        Thread thread = new Thread(new Runnable() {
            @Override
            public void run() {
                try {
                    if (delay > 0) {
                        Thread.sleep(delay);
                    }
                    register(installation);
                } catch (InterruptedException ignored) {
                    // not registered; status registers on demand
                }
            }
        }, "h2patch-mbean");
        thread.setDaemon(true);
        thread.start();
    }

    /** Registers the MBean of the current installation now, if it is not yet; for {@code status}. */
    static void registerNow() {
        Installation installation = current;
        if (installation != null) {
            register(installation);
        }
    }

    private static synchronized void register(Installation installation) {
        if (current != installation) {
            return; // detached meanwhile
        }
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            ObjectName name = new ObjectName(H2patchMXBean.OBJECT_NAME);
            if (server.isRegistered(name)) {
                if (registered == installation) {
                    return;
                }
                server.unregisterMBean(name);
            }
            server.registerMBean(new StandardMBean(installation, H2patchMXBean.class, true), name);
            registered = installation;
        } catch (Throwable t) {
            Log.warn("could not register the " + H2patchMXBean.OBJECT_NAME + " MBean (" + t
                    + "); the fixes work, status cannot show them");
        }
    }

    /** Called on detach: unregisters the MBean and forgets the library lines. */
    static synchronized void uninstalled() {
        current = null;
        registered = null;
        synchronized (libraries) {
            libraries.clear();
        }
        try {
            MBeanServer server = ManagementFactory.getPlatformMBeanServer();
            ObjectName name = new ObjectName(H2patchMXBean.OBJECT_NAME);
            if (server.isRegistered(name)) {
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
