package dev.h2patch;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Every fix in this agent jar, found with {@link ServiceLoader}: each fix module lists its fixes in
 * {@code META-INF/services/dev.h2patch.Fix}, and agent/dist merges those files into the jar. The core names no fix.
 */
public final class Fixes {

    public static final String END_STREAM = FixNames.END_STREAM;
    public static final String CONNECTION_STATE = FixNames.CONNECTION_STATE;
    public static final String EARLY_SETTINGS = FixNames.EARLY_SETTINGS;
    public static final String PROXY_SAFE_RESET = FixNames.PROXY_SAFE_RESET;

    /** The stable fix names, as used in configuration, logs and docs. */
    public static final List<String> NAMES = FixNames.NAMES;

    private static volatile List<Fix> all;

    private Fixes() {
    }

    /**
     * Every fix implementation, for every library line, grouped by fix name in the order of {@link #NAMES} (within a
     * name, in the order the modules list them). A registered class that cannot be loaded is left out with one log
     * line, and the rest still load.
     */
    public static List<Fix> all() {
        List<Fix> loaded = all;
        if (loaded == null) {
            loaded = load(Fixes.class.getClassLoader());
            all = loaded;
        }
        return loaded;
    }

    static List<Fix> load(ClassLoader loader) {
        List<Fix> found = new ArrayList<Fix>();
        Iterator<Fix> providers = ServiceLoader.load(Fix.class, loader).iterator();
        while (true) {
            try {
                if (!providers.hasNext()) {
                    break;
                }
                Fix fix = providers.next();
                if (NAMES.contains(fix.name())) {
                    found.add(fix);
                } else {
                    Log.warn("ignored fix " + fix.getClass().getName() + ": unknown fix name " + fix.name());
                }
            } catch (ServiceConfigurationError e) {
                Log.warn("ignored a registered fix that cannot be loaded (" + e.getMessage() + ")");
            } catch (RuntimeException e) {
                Log.warn("ignored a registered fix that cannot be loaded (" + e + ")");
            }
        }
        // Stable: a module's own order survives within each fix name.
        Collections.sort(found, new Comparator<Fix>() {
            @Override
            public int compare(Fix a, Fix b) {
                return NAMES.indexOf(a.name()) - NAMES.indexOf(b.name());
            }
        });
        return Collections.unmodifiableList(found);
    }

    /** The implementations of the fixes named in {@code options}. */
    static List<Fix> enabled(Options options) {
        List<Fix> enabled = new ArrayList<Fix>();
        for (Fix fix : all()) {
            if (options.isEnabled(fix.name())) {
                enabled.add(fix);
            }
        }
        return enabled;
    }

    /** Whether this build has at least one implementation of the fix named {@code name}. */
    static boolean isImplemented(String name) {
        for (Fix fix : all()) {
            if (fix.name().equals(name)) {
                return true;
            }
        }
        return false;
    }
}
