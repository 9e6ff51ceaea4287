package dev.h2patch.cli;

import java.io.File;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * The JDK's attach API ({@code com.sun.tools.attach}), used by reflection: the agent is compiled for Java 8, whose
 * API does not include it, and a JRE does not have it at all. On Java 9+ it is the {@code jdk.attach} module; on a
 * Java 8 JDK it is in {@code lib/tools.jar}, which is loaded from there.
 */
final class AttachApi {

    private final Method list;
    private final Method descriptorId;
    private final Method descriptorName;
    private final Method attach;
    private final Method getSystemProperties;
    private final Method loadAgent;
    private final Method detach;

    private AttachApi(Class<?> vm, Class<?> descriptor) throws NoSuchMethodException {
        list = vm.getMethod("list");
        descriptorId = descriptor.getMethod("id");
        descriptorName = descriptor.getMethod("displayName");
        attach = vm.getMethod("attach", String.class);
        getSystemProperties = vm.getMethod("getSystemProperties");
        loadAgent = vm.getMethod("loadAgent", String.class, String.class);
        detach = vm.getMethod("detach");
    }

    /** The attach API of this JVM, or {@link ExitCode#NO_ATTACH_API} with what to do. */
    static AttachApi load() throws CliException {
        ClassLoader loader = AttachApi.class.getClassLoader();
        try {
            return of(loader);
        } catch (Throwable first) {
            File tools = new File(System.getProperty("java.home"), "../lib/tools.jar");
            if (tools.isFile()) {
                try {
                    return of(new URLClassLoader(new URL[] {tools.toURI().toURL()}, loader));
                } catch (Throwable ignored) {
                    // Fall through to the message.
                }
            }
            throw new CliException(ExitCode.NO_ATTACH_API, "this java (" + System.getProperty("java.home")
                    + ", Java " + System.getProperty("java.version") + ") has no attach API: it is a JRE without the"
                    + " jdk.attach module. Run the command with a JDK's java, e.g. /usr/lib/jvm/<jdk>/bin/java -jar"
                    + " h2patch-agent.jar ..., or load the agent at start-up with -javaagent");
        }
    }

    private static AttachApi of(ClassLoader loader) throws Exception {
        return new AttachApi(Class.forName("com.sun.tools.attach.VirtualMachine", true, loader),
                Class.forName("com.sun.tools.attach.VirtualMachineDescriptor", true, loader));
    }

    /** The local JVMs the attach API sees: {pid, display name (main class or jar, and arguments)}. */
    List<String[]> list() throws Exception {
        List<String[]> result = new ArrayList<String[]>();
        for (Object descriptor : (List<?>) call(list, null)) {
            result.add(new String[] {
                (String) call(descriptorId, descriptor), (String) call(descriptorName, descriptor)});
        }
        return result;
    }

    Vm attach(String pid) throws Exception {
        return new Vm(call(attach, null, pid));
    }

    /** An attached JVM; {@link #close()} detaches the attach connection (not the agent). */
    final class Vm implements AutoCloseable {
        private final Object vm;

        Vm(Object vm) {
            this.vm = vm;
        }

        Properties systemProperties() throws Exception {
            return (Properties) call(getSystemProperties, vm);
        }

        void loadAgent(String jar, String arguments) throws Exception {
            call(loadAgent, vm, jar, arguments);
        }

        @Override
        public void close() {
            try {
                call(detach, vm);
            } catch (Exception ignored) {
                // The connection is gone either way.
            }
        }
    }

    /** Invokes, rethrowing what the attach API threw (AttachNotSupportedException, AgentLoadException, ...). */
    private static Object call(Method method, Object target, Object... arguments) throws Exception {
        try {
            return method.invoke(target, arguments);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception) {
                throw (Exception) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw e;
        }
    }
}
