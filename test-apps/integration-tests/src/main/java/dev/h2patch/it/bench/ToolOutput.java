package dev.h2patch.it.bench;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the benchmark reads from its tools' output: h2load's summary and per-request log, {@code jcmd GC.heap_info},
 * {@code /proc/PID/stat} and {@code /proc/PID/status}, the attach command's output. Pure functions of the text,
 * unit-tested on recorded output (ToolOutputTest).
 */
public final class ToolOutput {
    private ToolOutput() {}

    /** h2load's {@code finished in 6.00s, 12345.67 req/s, 1.2MB/s}: the req/s figure, "" when absent. */
    public static String h2loadReqPerSec(String out) {
        for (String line : out.split("\n")) {
            if (line.startsWith("finished in")) {
                String[] f = line.trim().split("\\s+");
                return f.length > 3 ? f[3] : "";
            }
        }
        return "";
    }

    /** h2load's {@code requests: N total, N started, N done, S succeeded, F failed, ...}: {S, F}, "" when absent. */
    public static String[] h2loadRequests(String out) {
        for (String line : out.split("\n")) {
            if (line.startsWith("requests:")) {
                String[] f = line.trim().split("\\s+");
                return new String[] {f.length > 7 ? f[7] : "", f.length > 9 ? f[9] : ""};
            }
        }
        return new String[] {"", ""};
    }

    /** One line of h2load's {@code --log-file}: start (µs since the epoch), status, duration (µs). */
    public record Request(long startUs, int status, long durationUs) {
        long endUs() {
            return startUs + durationUs;
        }
    }

    /** h2load's {@code --log-file}, tab-separated; lines that do not parse are skipped. */
    public static List<Request> h2loadLog(List<String> lines) {
        List<Request> requests = new ArrayList<>();
        for (String line : lines) {
            String[] f = line.split("\t");
            if (f.length < 3) {
                continue;
            }
            try {
                requests.add(new Request(Long.parseLong(f[0].trim()), Integer.parseInt(f[1].trim()),
                        Long.parseLong(f[2].trim())));
            } catch (NumberFormatException e) {
                // not a request line
            }
        }
        return requests;
    }

    /** {@code "P50 P99"} of the requests' durations in µs (nearest rank), {@code "NA NA"} when there are none. */
    public static String[] latencyPercentiles(List<Request> requests) {
        long[] d = requests.stream().mapToLong(Request::durationUs).sorted().toArray();
        Long p50 = Stats.percentile(d, 0.50);
        Long p99 = Stats.percentile(d, 0.99);
        return new String[] {p50 == null ? "NA" : "" + p50, p99 == null ? "NA" : "" + p99};
    }

    /**
     * The attach section's windows, in ms with one decimal: the longest gap between consecutive completions (ordered
     * by completion time) that end inside each window, and the slowest request that started inside it. Baseline:
     * ({@code b0}, {@code b1}]; attach: ({@code a0}, {@code a1}] (starts: [from, to)). All times µs since the epoch.
     */
    public static String[] attachWindows(List<Request> requests, long b0, long b1, long a0, long a1) {
        List<Request> byEnd = new ArrayList<>(requests);
        byEnd.sort((x, y) -> Long.compare(x.endUs(), y.endUs()));
        long bg = 0;
        long ag = 0;
        long bl = 0;
        long al = 0;
        Long prev = null;
        for (Request r : byEnd) {
            long e = r.endUs();
            if (prev != null) {
                long g = e - prev;
                if (e > b0 && e <= b1 && g > bg) {
                    bg = g;
                }
                if (e > a0 && e <= a1 && g > ag) {
                    ag = g;
                }
            }
            prev = e;
            if (r.startUs() >= b0 && r.startUs() < b1 && r.durationUs() > bl) {
                bl = r.durationUs();
            }
            if (r.startUs() >= a0 && r.startUs() < a1 && r.durationUs() > al) {
                al = r.durationUs();
            }
        }
        return new String[] {Stats.f(bg / 1000.0, 1), Stats.f(ag / 1000.0, 1), Stats.f(bl / 1000.0, 1),
                Stats.f(al / 1000.0, 1)};
    }

    /** The process's CPU time in clock ticks, utime + stime, from {@code /proc/PID/stat} (fields 14 and 15). */
    public static long cpuTicks(String stat) {
        String[] f = statFieldsAfterName(stat);
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    /** The command name of a {@code /proc/PID/stat} or {@code /proc/PID/task/TID/stat} line (a thread's name). */
    public static String statName(String stat) {
        return stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    }

    /**
     * Whether a HotSpot thread of this name (as {@code /proc} shows it, cut to 15 characters) does the JVM's own
     * work rather than the application's: the JIT's compiler and sweeper threads, the garbage collector's (G1, which
     * the benchmark runs) and the VM thread's. Their CPU follows the JIT's and the GC's schedule, which goes on for
     * tens of seconds after a load starts and differs from one JVM to the next (issue 20), so the application
     * threads' CPU per request leaves it out.
     */
    public static boolean isJvmServiceThread(String name) {
        return name.startsWith("C1 CompilerThre") || name.startsWith("C2 CompilerThre")
                || name.equals("Sweeper thread") || name.startsWith("GC Thread#") || name.startsWith("G1 ")
                || name.equals("VM Thread") || name.equals("VM Periodic Tas");
    }

    /** The fields of a {@code /proc/PID/stat} line from field 3 (state) on: f[11] is utime, f[12] stime. */
    static String[] statFieldsAfterName(String stat) {
        // The command name (field 2) is in parentheses and may hold spaces: count fields after its last ')'.
        return stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
    }

    /**
     * The version a {@code java -version} printed ({@code openjdk version "25.0.3" 2026-04-21 LTS} → {@code 25.0.3}),
     * or "?" when it printed none.
     */
    public static String javaVersion(String versionOutput) {
        Matcher m = Pattern.compile("version \"([^\"]+)\"").matcher(versionOutput);
        return m.find() ? m.group(1) : "?";
    }

    /**
     * The first connection's answer time, ms with one decimal, from curl's {@code -w "%{http_code} %{time_connect}
     * %{time_starttransfer}"} split on spaces: first response byte minus TCP connect, i.e. the server's SETTINGS,
     * the request and the answer on a fresh connection. "NA" when curl's output is not that.
     */
    public static String curlFirstByteMs(String[] answer) {
        try {
            double ms = (Double.parseDouble(answer[2]) - Double.parseDouble(answer[1])) * 1000;
            return String.format(java.util.Locale.ROOT, "%.1f", ms);
        } catch (RuntimeException e) {
            return "NA";
        }
    }

    /** Server CPU µs per request: ticks over the window ÷ requests, 2 decimals; 0.00 without requests. */
    public static String cpuMicrosPerRequest(long ticks, long hz, long requests) {
        return String.format(java.util.Locale.ROOT, "%.2f", requests != 0 ? ticks * 1e6 / hz / requests : 0.0);
    }

    /** {@code VmRSS:   123456 kB} of {@code /proc/PID/status}: "123456", "" when absent. */
    public static String vmRssKb(String status) {
        Matcher m = Pattern.compile("(?m)^VmRSS:\\s+(\\d+)").matcher(status);
        return m.find() ? m.group(1) : "";
    }

    private static final Pattern HEAP_USED = Pattern.compile(" total .* used (\\d+)K");
    private static final Pattern METASPACE = Pattern.compile("Metaspace +used (\\d+)K");
    private static final Pattern CLASS_SPACE = Pattern.compile("class space +used (\\d+)K");

    /**
     * {@code jcmd PID GC.heap_info}: {heap used, metaspace used, class space used} in KB, "NA" for what is missing.
     * The heap figure is the first "total ... used NK" line (G1: the garbage-first heap).
     */
    public static String[] heapInfo(String out) {
        String heap = null;
        String meta = null;
        String cls = null;
        for (String line : out.split("\n")) {
            Matcher h = HEAP_USED.matcher(line);
            if (heap == null && h.find()) {
                heap = h.group(1);
            }
            Matcher m = METASPACE.matcher(line);
            if (m.find()) {
                meta = m.group(1);
            }
            Matcher c = CLASS_SPACE.matcher(line);
            if (c.find()) {
                cls = c.group(1);
            }
        }
        return new String[] {heap == null ? "NA" : heap, meta == null ? "NA" : meta, cls == null ? "NA" : cls};
    }

    /** The attach command's "... in N ms" (the time inside the target), "NA" when it printed none. */
    public static String attachInTargetMs(String out) {
        Matcher m = Pattern.compile("in (\\d+) ms").matcher(out);
        return m.find() ? m.group(1) : "NA";
    }
    /**
     * Where a start-up's class loading goes, from {@code -Xlog:class+load:file=F:uptime} lines ({@code [0.134s] NAME
     * source: WHERE}): {total, from the agent jar, of them Byte Buddy (with its ASM), slf4j, h2patch's own; uptime ms
     * of the agent's first class (premain starts), of the app's first class (premain has returned; -1 without the
     * agent's), of the first and the last Byte Buddy class (-1 when none)}. {@code agentJar} and {@code appJar} are
     * file names as they appear in the source field.
     */
    public static long[] classLoadProfile(List<String> lines, String agentJar, String appJar) {
        long total = 0, agent = 0, byteBuddy = 0, slf4j = 0, own = 0;
        long premain = -1, main = -1, bbFirst = -1, bbLast = -1;
        for (String line : lines) {
            int close = line.indexOf("s] ");
            int source = line.indexOf(" source: ");
            if (!line.startsWith("[") || close < 0 || source < 0) {
                continue;
            }
            long ms = Math.round(Double.parseDouble(line.substring(1, close)) * 1000);
            String name = line.substring(close + 3, source).trim();
            String where = line.substring(source + 9);
            total++;
            if (where.contains(agentJar)) {
                agent++;
                if (premain < 0) {
                    premain = ms;
                }
                if (name.contains(".shaded.net.bytebuddy.")) {
                    byteBuddy++;
                    bbFirst = bbFirst < 0 ? ms : bbFirst;
                    bbLast = ms;
                } else if (name.contains(".shaded.org.slf4j.")) {
                    slf4j++;
                } else {
                    own++;
                }
            } else if (main < 0 && where.contains(appJar)) {
                main = ms;
            }
        }
        return new long[] {total, agent, byteBuddy, slf4j, own, premain, main, bbFirst, bbLast};
    }

    private static final Pattern READY = Pattern.compile("(^|\\s)READY \\d+");

    /**
     * Whether a line of an app's output is its "READY port" line. Under {@code -XX:+PrintInlining} the JIT writes to the
     * same stdout, and the app's line can land after the indentation of one of the JIT's lines.
     */
    public static boolean isReadyLine(String line) {
        return READY.matcher(line).find();
    }

    /** The agent's debug line for each class it transforms: "h2patch - transformed NAME[ (how)] in N ms". */
    private static final String TRANSFORMED_CLASS = "h2patch - transformed (\\S+)";
    private static final Pattern TRANSFORMED_NAME = Pattern.compile(TRANSFORMED_CLASS);
    private static final Pattern TRANSFORMED = Pattern.compile(TRANSFORMED_CLASS + "(.*) in (\\d+) ms$");

    /**
     * The classes the agent's debug log ({@code log=debug}) says it transformed, loads and retransformations alike.
     * Only the name is read, so a line the JIT's output cut after it still counts.
     */
    public static Set<String> transformedClasses(List<String> lines) {
        Set<String> names = new HashSet<>();
        for (String line : lines) {
            Matcher m = TRANSFORMED_NAME.matcher(line);
            if (m.find()) {
                names.add(m.group(1));
            }
        }
        return names;
    }
    private static final Pattern WARMED_UP = Pattern.compile("h2patch - weaver warmed up in (\\d+) ms");

    /**
     * What the agent's debug log says about a start ({@code log=debug}): {classes transformed on load, the milliseconds
     * those loads spent in the agent's transformer (the check and the weave, or the wait for the weave-ahead thread:
     * time the loading application thread did nothing else), the warm-up thread's milliseconds (-1 when it printed
     * none)}. Retransformations (attach, roll-back) are not loads and are left out.
     */
    public static long[] agentStartLog(List<String> lines) {
        long woven = 0, inTransformer = 0, warmUp = -1;
        for (String line : lines) {
            Matcher t = TRANSFORMED.matcher(line);
            if (t.find()) {
                if (!t.group(2).contains("(retransformed)")) {
                    woven++;
                    inTransformer += Long.parseLong(t.group(3));
                }
                continue;
            }
            Matcher w = WARMED_UP.matcher(line);
            if (w.find()) {
                warmUp = Long.parseLong(w.group(1));
            }
        }
        return new long[] {woven, inTransformer, warmUp};
    }

    private static final Pattern INLINING = Pattern.compile("@ \\d+\\s+(\\S+::\\S+) \\((\\d+) bytes\\)\\s+(.*?)\\s*$");

    /**
     * C2's and C1's inlining decisions from {@code -XX:+PrintInlining} output, per callee and size ({@code
     * Type::method (N bytes)}: overloads differ by size): how often each decision ("inline (hot)", "hot method too
     * big", ...) was printed for it. The JIT's lines can be cut by the application's own output on the same stream;
     * a decision is read up to the next call site printed into it.
     */
    public static Map<String, Inlined> inliningDecisions(List<String> lines) {
        Map<String, Inlined> out = new TreeMap<>();
        for (String line : lines) {
            Matcher m = INLINING.matcher(line);
            if (!m.find()) {
                continue;
            }
            String key = m.group(1) + " (" + m.group(2) + " bytes)";
            Inlined callee = out.computeIfAbsent(key, k -> new Inlined(m.group(1), Integer.parseInt(m.group(2))));
            String decision = m.group(3).split("\\s{2,}@ ")[0].trim();
            callee.decisions.merge(decision.isEmpty() ? "(none)" : decision, 1, Integer::sum);
        }
        return out;
    }

    /** One callee's size and decisions ({@link #inliningDecisions}). */
    public static final class Inlined {
        public final String method;
        public final int bytes;
        public final Map<String, Integer> decisions = new TreeMap<>();

        Inlined(String method, int bytes) {
            this.method = method;
            this.bytes = bytes;
        }

        /** The class part of {@link #method}, as the agent's log names a class it transformed. */
        public String type() {
            return method.substring(0, method.indexOf("::"));
        }
    }

    /**
     * The bytecode size ({@code code_length}, JVMS §4.7.3) of each method named {@code name} in {@code classFile}, for
     * comparing a method's size as the JIT prints it with the agent against the class as the application ships it.
     */
    public static List<Integer> codeLengths(byte[] classFile, String name) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(classFile);
        int count = b.getShort(8) & 0xffff;
        String[] utf8 = new String[count];
        int at = 10;
        for (int i = 1; i < count; i++) {
            int tag = b.get(at) & 0xff;
            switch (tag) {
                case 1 -> {
                    int length = b.getShort(at + 1) & 0xffff;
                    utf8[i] = new String(classFile, at + 3, length, java.nio.charset.StandardCharsets.UTF_8);
                    at += 3 + length;
                }
                case 5, 6 -> {
                    at += 9;
                    i++; // a long or a double takes two entries (JVMS §4.4.5)
                }
                case 7, 8, 16, 19, 20 -> at += 3;
                case 15 -> at += 4;
                case 3, 4, 9, 10, 11, 12, 17, 18 -> at += 5;
                default -> throw new IllegalArgumentException("constant pool tag " + tag + " at " + at);
            }
        }
        at += 6; // access_flags, this_class, super_class
        at += 2 + 2 * (b.getShort(at) & 0xffff);
        int fields = b.getShort(at) & 0xffff;
        at += 2;
        for (int i = 0; i < fields; i++) {
            at = skipAttributes(b, at + 6);
        }
        List<Integer> lengths = new ArrayList<>();
        int methods = b.getShort(at) & 0xffff;
        at += 2;
        for (int i = 0; i < methods; i++) {
            boolean named = name.equals(utf8[b.getShort(at + 2) & 0xffff]);
            int attributes = b.getShort(at + 6) & 0xffff;
            at += 8;
            for (int j = 0; j < attributes; j++) {
                if (named && "Code".equals(utf8[b.getShort(at) & 0xffff])) {
                    lengths.add(b.getInt(at + 10)); // after max_stack and max_locals
                }
                at += 6 + b.getInt(at + 2);
            }
        }
        return lengths;
    }

    private static int skipAttributes(java.nio.ByteBuffer b, int at) {
        int attributes = b.getShort(at) & 0xffff;
        at += 2;
        for (int i = 0; i < attributes; i++) {
            at += 6 + b.getInt(at + 2);
        }
        return at;
    }
}
