package dev.h2patch.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * One test app running in a child JVM: {@code java [-javaagent:...] -Dio.netty.leakDetection.level=paranoid [jvm
 * args] -jar APP.jar --port 0}. {@link Builder#start()} returns once the app printed {@code READY <port>} on stdout.
 * Stdout and stderr are collected line by line in memory by two daemon threads for the whole life of the child.
 *
 * <p>Which {@code java} runs the child: {@link Builder#java(Path)}, else the system property
 * {@value #JAVA_PROPERTY}, else the environment variable {@value #JAVA_ENV}, else the running JVM's
 * {@code java.home}/bin/java. Set {@value #ECHO_PROPERTY}=true to copy the child's output to this JVM's stderr.
 *
 * <p>The child inherits this JVM's environment minus every {@code H2PATCH_*} variable (the agent reads those as
 * options, so a stray one would change what is tested); pass them explicitly with {@link Builder#env}.
 */
public final class ChildJvm implements AutoCloseable {
    public static final String JAVA_PROPERTY = "h2patch.it.java";
    /** Not H2PATCH_*: the agent reads every H2PATCH_* environment variable as one of its options. */
    public static final String JAVA_ENV = "IT_CHILD_JAVA";
    public static final String ECHO_PROPERTY = "h2patch.it.echo";
    public static final Duration READY_TIMEOUT = Duration.ofSeconds(30);
    public static final String LEAK_DETECTION = "-Dio.netty.leakDetection.level=paranoid";
    /** grpc-netty-shaded relocates Netty's system properties along with its classes. */
    public static final String SHADED_LEAK_DETECTION = "-Dio.grpc.netty.shaded.io.netty.leakDetection.level=paranoid";

    private static final Pattern READY = Pattern.compile("^READY (\\d+)\\s*$");

    private final String name;
    private final List<String> command;
    private final Process process;
    private final int port;
    private final List<String> stdout;
    private final List<String> stderr;
    private final Thread stdoutPump;
    private final Thread stderrPump;

    private ChildJvm(String name, List<String> command, Process process, int port, List<String> stdout,
            List<String> stderr, Thread stdoutPump, Thread stderrPump) {
        this.name = name;
        this.command = command;
        this.process = process;
        this.port = port;
        this.stdout = stdout;
        this.stderr = stderr;
        this.stdoutPump = stdoutPump;
        this.stderrPump = stderrPump;
    }

    /** A builder for {@code test-apps/APP/target/APP.jar} (resolved from the repo root, see {@link Repo}). */
    public static Builder app(String appName) {
        return new Builder(appName, Repo.appJar(appName));
    }

    /** A builder for any runnable jar that prints {@code READY <port>}. */
    public static Builder jar(Path jar) {
        String file = jar.getFileName().toString();
        return new Builder(file.endsWith(".jar") ? file.substring(0, file.length() - 4) : file, jar);
    }

    /**
     * A builder for an app run from the module path as a named module:
     * {@code java -p test-apps/APP/target/APP.jar:test-apps/APP/target/mods -m MODULE/MAIN_CLASS --port 0}. The
     * app's {@code mods} folder holds the library jars as they ship (module-info included).
     */
    public static Builder module(String appName, String module, String mainClass) {
        Builder builder = new Builder(appName, Repo.appJar(appName));
        builder.modulePath = Repo.appJar(appName) + java.io.File.pathSeparator
                + Repo.appJar(appName).resolveSibling("mods");
        builder.mainModule = module + "/" + mainClass;
        return builder;
    }

    /** The port the app printed in its {@code READY} line. */
    public int port() {
        return port;
    }

    public String name() {
        return name;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public List<String> command() {
        return command;
    }

    /** A snapshot of the stdout lines so far. */
    public List<String> stdoutLines() {
        synchronized (stdout) {
            return List.copyOf(stdout);
        }
    }

    /** A snapshot of the stderr lines so far. */
    public List<String> stderrLines() {
        synchronized (stderr) {
            return List.copyOf(stderr);
        }
    }

    /**
     * Lines of stdout or stderr that contain {@code LEAK:} (Netty's ResourceLeakDetector). Note that a leak is only
     * reported after the leaked buffer was garbage collected and a later allocation sampled the leak queue, so check
     * after some traffic, a pause, and ideally {@link #requestGc()} followed by a few more requests.
     */
    public List<String> leakLines() {
        List<String> all = new ArrayList<>(stderrLines());
        all.addAll(stdoutLines());
        return all.stream().filter(l -> l.contains("LEAK:")).collect(Collectors.toList());
    }

    /**
     * What the agent prints when something went wrong, in every form it has: its logger's warnings and errors
     * ({@code WARN h2patch - could not patch ...}) and the plain lines it prints before its logger exists or when it
     * refuses to start ({@code h2patch: invalid option ...}). {@code AgentJarTest} makes the agent fail on purpose and
     * checks that this catches it.
     */
    public List<String> agentErrorLines() {
        return stderrLines().stream().filter(ChildJvm::isAgentProblem).collect(Collectors.toList());
    }

    static boolean isAgentProblem(String line) {
        return line.startsWith("h2patch: ") || line.contains("WARN h2patch") || line.contains("ERROR h2patch");
    }

    /** Waits up to {@code timeout} for a stderr line matching {@code p}; returns the first match, or null. */
    public String awaitStderr(Predicate<String> p, Duration timeout) throws InterruptedException {
        return awaitLine(stderr, p, timeout);
    }

    /** Waits up to {@code timeout} for a stdout line matching {@code p}; returns the first match, or null. */
    public String awaitStdout(Predicate<String> p, Duration timeout) throws InterruptedException {
        return awaitLine(stdout, p, timeout);
    }

    private static String awaitLine(List<String> lines, Predicate<String> p, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lines) {
            while (true) {
                for (String l : lines) {
                    if (p.test(l)) {
                        return l;
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return null;
                }
                TimeUnit.NANOSECONDS.timedWait(lines, left);
            }
        }
    }

    /**
     * Best effort: asks the child to run a full GC with {@code jcmd <pid> GC.run} (found next to the child's java, or
     * the running JVM's), so that Netty's paranoid leak detector can see leaked buffers. Returns false when jcmd is
     * not available or failed; the leak check then relies on traffic and time only.
     */
    public boolean requestGc() {
        Path jcmd = jcmdFor(Paths.get(command.get(0)));
        if (jcmd == null) {
            return false;
        }
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid()), "GC.run")
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static Path jcmdFor(Path java) {
        Path sibling = java.resolveSibling("jcmd");
        if (Files.isExecutable(sibling)) {
            return sibling;
        }
        Path own = Paths.get(System.getProperty("java.home"), "bin", "jcmd");
        return Files.isExecutable(own) ? own : null;
    }

    /** Everything the child printed, for assertion messages. */
    public String describeOutput() {
        StringBuilder sb = new StringBuilder();
        sb.append("child ").append(name).append(" (pid ").append(process.pid())
                .append(process.isAlive() ? ", running" : ", exited " + process.exitValue()).append(")\n");
        sb.append("  command: ").append(String.join(" ", command)).append('\n');
        appendLines(sb, "stdout", stdoutLines());
        appendLines(sb, "stderr", stderrLines());
        return sb.toString();
    }

    private static void appendLines(StringBuilder sb, String what, List<String> lines) {
        sb.append("  ").append(what).append(" (").append(lines.size()).append(" lines):\n");
        for (String l : lines) {
            sb.append("    | ").append(l).append('\n');
        }
    }

    /** Destroys the child: SIGTERM, then SIGKILL after 5 s. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        joinQuietly(stdoutPump, 1000);
        joinQuietly(stderrPump, 1000);
    }

    @Override
    public String toString() {
        return name + "(pid " + process.pid() + ", port " + port + ")";
    }

    private static void joinQuietly(Thread t, long millis) {
        try {
            t.join(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** How to start a child. */
    public static final class Builder {
        private final String name;
        private final Path jar;
        private Path java;
        private Path agentJar;
        private String agentOptions;
        private boolean withAgent;
        private final List<String> jvmArgs = new ArrayList<>();
        private final List<String> appArgs = new ArrayList<>();
        private final Map<String, String> env = new LinkedHashMap<>();
        private Duration readyTimeout = READY_TIMEOUT;
        /** With {@link #mainModule}: {@code -p modulePath -m mainModule} instead of {@code -jar jar}. */
        private String modulePath;
        private String mainModule;

        private Builder(String name, Path jar) {
            this.name = name;
            this.jar = jar;
        }

        /** The java executable of the child (default: see the class comment). */
        public Builder java(Path javaExecutable) {
            this.java = javaExecutable;
            return this;
        }

        /** Adds {@code -javaagent:<repo>/agent/dist/target/h2patch-agent.jar}. */
        public Builder agent() {
            return agent(null);
        }

        /** Adds {@code -javaagent:<repo>/agent/dist/target/h2patch-agent.jar=OPTIONS} (no {@code =} when null/empty). */
        public Builder agent(String options) {
            this.withAgent = true;
            this.agentOptions = options;
            return this;
        }

        /** Uses another agent jar than {@code agent/dist/target/h2patch-agent.jar}. */
        public Builder agentJar(Path agentJar) {
            this.agentJar = agentJar;
            return this;
        }

        public Builder jvmArg(String... args) {
            jvmArgs.addAll(List.of(args));
            return this;
        }

        /** Arguments after {@code --port 0}. */
        public Builder appArg(String... args) {
            appArgs.addAll(List.of(args));
            return this;
        }

        public Builder env(String key, String value) {
            env.put(key, value);
            return this;
        }

        public Builder readyTimeout(Duration timeout) {
            this.readyTimeout = timeout;
            return this;
        }

        /** The full command line {@link #start()} runs. */
        public List<String> command() {
            List<String> cmd = new ArrayList<>();
            cmd.add(javaExecutable().toString());
            if (withAgent) {
                Path aj = agentJar != null ? agentJar : Repo.agentJar();
                cmd.add("-javaagent:" + aj + (agentOptions == null || agentOptions.isEmpty() ? "" : "=" + agentOptions));
            }
            cmd.add(LEAK_DETECTION);
            cmd.add(SHADED_LEAK_DETECTION);
            cmd.addAll(jvmArgs);
            if (mainModule != null) {
                cmd.add("-p");
                cmd.add(modulePath);
                cmd.add("-m");
                cmd.add(mainModule);
            } else {
                cmd.add("-jar");
                cmd.add(jar.toString());
            }
            cmd.add("--port");
            cmd.add("0");
            cmd.addAll(appArgs);
            return cmd;
        }

        private Path javaExecutable() {
            if (java != null) {
                return java;
            }
            String prop = System.getProperty(JAVA_PROPERTY);
            if (prop != null && !prop.isBlank()) {
                return Paths.get(prop);
            }
            String envJava = System.getenv(JAVA_ENV);
            if (envJava != null && !envJava.isBlank()) {
                return Paths.get(envJava);
            }
            return Paths.get(System.getProperty("java.home"), "bin", "java");
        }

        /**
         * Starts the child and waits (at most the ready timeout, 30 s by default) for {@code READY <port>} on its
         * stdout. Fails with the child's output in the message when the jar is missing, the child exits first, or
         * the timeout passes (the child is killed then).
         */
        public ChildJvm start() throws IOException, InterruptedException {
            Repo.requireBuilt(jar, "app " + name,
                    "cd " + Repo.root() + " && mvn -B -q -DskipTests package -pl test-apps/" + name + " -am");
            if (withAgent && agentJar == null) {
                Repo.requireBuilt(Repo.agentJar(), "the agent",
                        "cd " + Repo.root() + " && mvn -B -q -DskipTests package -pl agent");
            }
            List<String> cmd = command();
            ProcessBuilder pb = new ProcessBuilder(cmd);
            pb.directory(Repo.root().toFile());
            pb.environment().keySet().removeIf(k -> k.startsWith("H2PATCH_"));
            pb.environment().putAll(env);
            Process process = pb.start();
            process.getOutputStream().close();

            List<String> out = new ArrayList<>();
            List<String> err = new ArrayList<>();
            CompletableFuture<Integer> ready = new CompletableFuture<>();
            boolean echo = Boolean.getBoolean(ECHO_PROPERTY);
            Thread outPump = pump(process.getInputStream(), out, name + "-stdout", echo ? "[" + name + " out] " : null,
                    line -> {
                        Matcher m = READY.matcher(line.trim());
                        if (m.matches()) {
                            ready.complete(Integer.parseInt(m.group(1)));
                        }
                    }, () -> ready.completeExceptionally(new IllegalStateException("stdout closed before READY")));
            Thread errPump = pump(process.getErrorStream(), err, name + "-stderr", echo ? "[" + name + " err] " : null,
                    line -> {}, () -> {});
            ChildJvm child = new ChildJvm(name, List.copyOf(cmd), process, -1, out, err, outPump, errPump);

            int port;
            try {
                port = ready.get(readyTimeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                boolean timedOut = e instanceof TimeoutException;
                if (!timedOut) {
                    // stdout closed: the child is (nearly) dead; give it and the stderr pump a moment to finish.
                    process.waitFor(2, TimeUnit.SECONDS);
                }
                child.close();
                throw new IllegalStateException((timedOut
                        ? "app " + name + " did not print READY <port> within " + readyTimeout.toSeconds() + " s"
                        : "app " + name + " exited before printing READY <port>")
                        + "\n" + child.describeOutput());
            }
            return new ChildJvm(name, List.copyOf(cmd), process, port, out, err, outPump, errPump);
        }

        private static Thread pump(InputStream in, List<String> sink, String threadName, String echoPrefix,
                java.util.function.Consumer<String> onLine, Runnable onEnd) {
            Thread t = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        synchronized (sink) {
                            sink.add(line);
                            sink.notifyAll();
                        }
                        if (echoPrefix != null) {
                            System.err.println(echoPrefix + line);
                        }
                        onLine.accept(line);
                    }
                } catch (IOException ignored) {
                    // the child went away
                } finally {
                    onEnd.run();
                }
            }, threadName);
            t.setDaemon(true);
            t.start();
            return t;
        }
    }

    /** Convenience for assertion messages: the lines, one per line, or "(none)". */
    public static String lines(List<String> lines) {
        return lines.isEmpty() ? "(none)" : String.join("\n", lines);
    }
}
