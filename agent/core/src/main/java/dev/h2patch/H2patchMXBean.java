package dev.h2patch;

import java.util.Map;

/**
 * What the agent exposes over JMX as {@code h2patch:type=Agent} while it is active: what {@code java -jar
 * h2patch-agent.jar status PID} reads, and what jconsole or any JMX client can read too.
 */
public interface H2patchMXBean {

    /** The object name the agent registers under. */
    String OBJECT_NAME = "h2patch:type=Agent";

    /** The agent's version. */
    String getVersion();

    /** {@code fix} or {@code report}. */
    String getMode();

    /** How the agent was loaded: {@code premain} (-javaagent) or {@code attach}. */
    String getLoadedBy();

    /** When the agent was installed, in milliseconds since the epoch. */
    long getInstalledAt();

    /** The fixes enabled by the options, by stable name. */
    String[] getFixes();

    /** One line per fix and class loader: the library and version it is active for, or why it was skipped. */
    String[] getActiveLibraries();

    /**
     * Every counter ({@code fix.counter}) since this installation, summed over both copies of the helper classes (the
     * system class loader's and, when it was injected, the bootstrap class loader's).
     */
    Map<String, Long> getCounters();
}
