package dev.h2patch.it;

import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The h2patch demo: starts a test app without and then with the agent, makes a failing gRPC call with grpc-java,
 * records the frames of the same call with the raw {@link FrameRecorder}, and prints both side by side with a verdict.
 * Exit code 0 when the agent fixed the call, 1 when not, 2 on bad arguments.
 *
 * <pre>
 * java -cp ... dev.h2patch.it.Demo [--app APP] [--agent-options OPTS] [--java /path/to/bin/java]
 * </pre>
 *
 * The app is the catalog's app with the role {@code demo} (test-apps/catalog.txt) unless {@code --app} names another.
 *
 * Run it with {@code bash test-apps/demo.sh} from the repo root, which builds everything first.
 */
public final class Demo {
    static final String METHOD = "h2patch.Test/Fail";
    static final String PATH = "/" + METHOD;

    private Demo() {}

    /** What one run (one child JVM) showed. */
    record Run(String label, GrpcCalls.Outcome outcome, Exchange exchange, List<String> agentLines, String error) {
        List<Frame> responseFrames() {
            return exchange == null ? List.of() : exchange.responseFrames();
        }
    }

    /** The catalog's demo app (role {@code demo}). */
    static String defaultApp() {
        return Catalog.names(a -> a.hasRole("demo")).findFirst()
                .orElseThrow(() -> new IllegalStateException("no app has the role demo in test-apps/catalog.txt"));
    }

    public static void main(String[] args) throws Exception {
        String app = defaultApp();
        String agentOptions = null;
        Path java = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if ((a.equals("--app") || a.equals("--agent-options") || a.equals("--java")) && i + 1 < args.length) {
                String v = args[++i];
                if (a.equals("--app")) {
                    app = v;
                } else if (a.equals("--agent-options")) {
                    agentOptions = v;
                } else {
                    java = Paths.get(v);
                }
            } else {
                System.err.println("usage: Demo [--app " + defaultApp()
                        + "] [--agent-options OPTS] [--java /path/to/java]");
                System.exit(2);
            }
        }

        System.out.println("h2patch demo: " + app + " answers the gRPC call " + METHOD
                + " with NOT_FOUND \"no such thing\".");
        System.out.println("The bug (golang/go#56317, nghttp2#588): the status goes out in a HEADERS frame without"
                + " END_STREAM,");
        System.out.println("and the stream is ended by a separate empty DATA frame; gRPC clients then ignore the"
                + " status.");
        System.out.println();

        Run without = run(app, java, false, null, "[1/2] " + app + " WITHOUT the agent");
        Run with = run(app, java, true, agentOptions,
                "[2/2] " + app + " WITH -javaagent:" + Repo.root().relativize(Repo.agentJar())
                        + (agentOptions == null ? "" : "=" + agentOptions));

        System.out.println();
        System.out.println("Frames the server sent on the call's stream (raw HTTP/2 client, POST " + PATH + "):");
        System.out.println();
        printSideBySide(columnLines(without), columnLines(with), "without agent", "with agent");
        System.out.println();
        System.out.println("grpc-java client status   without agent: " + status(without));
        System.out.println("                          with agent:    " + status(with));
        System.out.println();

        boolean bugShown = without.outcome() != null && without.outcome().code() != io.grpc.Status.Code.NOT_FOUND
                && isBroken(without.responseFrames());
        boolean fixed = with.outcome() != null && with.outcome().code() == io.grpc.Status.Code.NOT_FOUND
                && "no such thing".equals(with.outcome().description()) && isFixed(with.responseFrames());
        if (fixed && bugShown) {
            System.out.println("VERDICT: FIXED.");
            System.out.println("  Without the agent the client got " + without.outcome().code()
                    + ": the status was in HEADERS without END_STREAM, then an empty DATA ended the stream.");
            System.out.println("  With the agent the status HEADERS carry END_STREAM, nothing follows, and the client"
                    + " gets NOT_FOUND \"no such thing\".");
        } else if (fixed) {
            System.out.println("VERDICT: correct with the agent (NOT_FOUND in one HEADERS with END_STREAM), but the"
                    + " bug did not show without it");
            System.out.println("  (client got " + status(without) + ").");
        } else {
            System.out.println("VERDICT: NOT FIXED.");
            System.out.println("  With the agent the client got " + status(with)
                    + (isFixed(with.responseFrames()) ? "." : ", and the frames still show the bug."));
        }
        System.exit(fixed ? 0 : 1);
    }

    private static Run run(String app, Path java, boolean agent, String agentOptions, String label) {
        System.out.println(label);
        ChildJvm.Builder b = ChildJvm.app(app);
        if (java != null) {
            b.java(java);
        }
        if (agent) {
            b.agent(agentOptions);
        }
        try (ChildJvm child = b.start()) {
            System.out.println("      started pid " + child.pid() + ", READY on port " + child.port());
            GrpcCalls.Outcome outcome = GrpcCalls.unary(child.port(), METHOD);
            System.out.println("      grpc-java client got: " + outcome);
            Exchange exchange = FrameRecorder.exchange(child.port(), Request.grpc(PATH));
            List<String> agentLines = child.stderrLines().stream()
                    .filter(l -> l.startsWith("h2patch") || l.contains(" h2patch - "))
                    .collect(Collectors.toList());
            int shown = 0;
            for (String l : agentLines) {
                if (shown++ == 5) {
                    System.out.println("      agent: ... (" + (agentLines.size() - 5) + " more lines)");
                    break;
                }
                System.out.println("      agent: " + l);
            }
            for (String l : child.leakLines()) {
                System.out.println("      LEAK reported by Netty: " + l);
            }
            return new Run(label, outcome, exchange, agentLines, null);
        } catch (Exception e) {
            System.out.println("      FAILED: " + e.getMessage().replace("\n", "\n      "));
            return new Run(label, null, null, List.of(), e.toString());
        }
    }

    /** The bug: HEADERS without END_STREAM, then DATA len 0 with END_STREAM. */
    static boolean isBroken(List<Frame> fs) {
        return fs.size() == 2 && fs.get(0).is(Frame.HEADERS) && !fs.get(0).endStream()
                && fs.get(1).is(Frame.DATA) && fs.get(1).length() == 0 && fs.get(1).endStream();
    }

    /** The fix: exactly one HEADERS with END_STREAM carrying grpc-status 5. */
    static boolean isFixed(List<Frame> fs) {
        return fs.size() == 1 && fs.get(0).is(Frame.HEADERS) && fs.get(0).endStream()
                && "5".equals(fs.get(0).header("grpc-status"));
    }

    private static String status(Run r) {
        return r.outcome() != null ? r.outcome().toString() : "(no call: " + r.error() + ")";
    }

    private static List<String> columnLines(Run r) {
        if (r.exchange() == null) {
            return List.of("(app did not start)");
        }
        List<String> lines = new ArrayList<>();
        for (Frame f : r.responseFrames()) {
            lines.addAll(f.describeLines());
        }
        if (lines.isEmpty()) {
            lines.add("(no frames)");
        }
        if (!r.exchange().ended()) {
            lines.add("(stream did not end within 5 s)");
        }
        return lines;
    }

    static void printSideBySide(List<String> left, List<String> right, String leftTitle, String rightTitle) {
        int width = Math.max(leftTitle.length(), left.stream().mapToInt(String::length).max().orElse(0)) + 2;
        int rightWidth = Math.max(rightTitle.length(), right.stream().mapToInt(String::length).max().orElse(0)) + 1;
        System.out.println(pad(leftTitle, width) + "| " + rightTitle);
        System.out.println("-".repeat(width) + "+" + "-".repeat(rightWidth));
        for (int i = 0; i < Math.max(left.size(), right.size()); i++) {
            String l = i < left.size() ? left.get(i) : "";
            String r = i < right.size() ? right.get(i) : "";
            System.out.println(pad(l, width) + "| " + r);
        }
    }

    private static String pad(String s, int width) {
        return s.length() >= width ? s : s + " ".repeat(width - s.length());
    }
}
