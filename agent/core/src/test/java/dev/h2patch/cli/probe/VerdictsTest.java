package dev.h2patch.cli.probe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each check's verdict from recorded frame sequences: the shapes docs/fixes/*.md show, before and after the fix. */
class VerdictsTest {

    private static Frame headers(int stream, boolean end, double ms, String... nameValue) {
        List<String[]> fields = new ArrayList<>();
        for (int i = 0; i < nameValue.length; i += 2) {
            fields.add(new String[] {nameValue[i], nameValue[i + 1]});
        }
        return Frame.in(Frame.HEADERS, Frame.END_HEADERS | (end ? Frame.END_STREAM : 0), stream, new byte[0], ms,
                fields);
    }

    private static Frame data(int stream, int length, boolean end, double ms) {
        return Frame.in(Frame.DATA, end ? Frame.END_STREAM : 0, stream, new byte[length], ms, null);
    }

    private static Frame rst(int stream, int code, double ms) {
        return Frame.in(Frame.RST_STREAM, 0, stream, FrameCodec.int32(code), ms, null);
    }

    private static Frame settings(double ms, int... idValue) {
        return Frame.in(Frame.SETTINGS, 0, 0, FrameCodec.settings(idValue), ms, null);
    }

    private static Frame sent(int type, int stream, double ms) {
        return new Frame(true, 1, type, type == Frame.HEADERS ? Frame.END_HEADERS : 0, stream, new byte[0], ms, null);
    }

    private static final String FAIL = "/h2patch.Test/Fail";

    @Test
    void endStreamBugAndFixed() {
        // docs/fixes/end-stream.md: without h2patch
        Verdict bug = EndStreamCheck.judge(List.of(headers(1, false, 5, ":status", "200", "content-type",
                "application/grpc", "grpc-status", "5"), data(1, 0, true, 6)), FAIL, null, "/", 3000);
        assertEquals(Verdict.BUG, bug.word, bug.saw);
        assertTrue(bug.saw.contains("HEADERS(:status 200, content-type application/grpc, grpc-status 5), DATA(0,"
                + " END_STREAM)"), bug.saw);
        // with h2patch: one HEADERS with END_STREAM
        Verdict ok = EndStreamCheck.judge(List.of(headers(1, true, 5, ":status", "200", "grpc-status", "5")), FAIL,
                List.of(headers(3, false, 7, ":status", "200"), data(3, 0, true, 8)), "/empty-later", 3000);
        assertEquals(Verdict.OK, ok.word, ok.saw);
        assertTrue(ok.saw.contains("GET /empty-later: HEADERS(:status 200), DATA(0, END_STREAM) (valid HTTP/2"), ok.saw);
        // headers, body, trailers
        Verdict trailers = EndStreamCheck.judge(List.of(headers(1, false, 5, ":status", "200"), data(1, 9, false, 6),
                headers(1, true, 7, "grpc-status", "0")), FAIL, null, "/", 3000);
        assertEquals(Verdict.OK, trailers.word, trailers.saw);
    }

    @Test
    void endStreamSeenInOneOfTwoCalls() {
        List<Frame> bug = List.of(headers(1, false, 5, ":status", "200", "grpc-status", "5"), data(1, 0, true, 6));
        List<Frame> merged = List.of(headers(3, true, 8, ":status", "200", "grpc-status", "5"));
        Verdict v = EndStreamCheck.judgeCalls(List.of(merged, bug), FAIL, null, "/", 3000);
        assertEquals(Verdict.BUG, v.word, v.saw);
        assertTrue(v.saw.contains("(in 1 of 2 identical calls"), v.saw);
        Verdict both = EndStreamCheck.judgeCalls(List.of(bug, bug), FAIL, null, "/", 3000);
        assertEquals(Verdict.BUG, both.word);
        assertTrue(!both.saw.contains("identical calls"), both.saw);
        assertEquals(Verdict.OK, EndStreamCheck.judgeCalls(List.of(merged, merged), FAIL, null, "/", 3000).word);
    }

    @Test
    void endStreamUnknownWhenNotGrpc() {
        Verdict v = EndStreamCheck.judge(List.of(headers(1, false, 5, ":status", "404", "content-type", "text/plain"),
                data(1, 10, true, 6)), "/h2patch.Probe/Unknown", null, "/", 3000);
        assertEquals(Verdict.UNKNOWN, v.word, v.saw);
        assertTrue(v.saw.contains("--grpc-method"), v.saw);
        Verdict none = EndStreamCheck.judge(List.of(), FAIL, null, "/", 3000);
        assertEquals(Verdict.UNKNOWN, none.word);
        assertTrue(none.saw.contains("no answer within 3000 ms"), none.saw);
        // grpc-status without END_STREAM, never ended: not the bug's shape, not ok either
        Verdict open = EndStreamCheck.judge(List.of(headers(1, false, 5, "grpc-status", "5")), FAIL, null, "/", 3000);
        assertEquals(Verdict.UNKNOWN, open.word, open.saw);
    }

    @Test
    void proxySafeReset() {
        String path = "/h2patch.Test/RejectUpload";
        // docs/fixes/proxy-safe-reset.md, direct, no agent: complete response, then RST_STREAM(CANCEL)
        Verdict bug = ProxySafeResetCheck.judge(List.of(headers(1, true, 10, ":status", "200", "grpc-status", "7"),
                rst(1, 8, 10.4)), path, 0, 0, 3000);
        assertEquals(Verdict.BUG, bug.word, bug.saw);
        assertTrue(bug.saw.contains("RST_STREAM(CANCEL) 0.4 ms after the complete response"), bug.saw);
        // Jetty 12.0.5+: NO_ERROR; HAProxy turns it into CANCEL all the same
        Verdict noError = ProxySafeResetCheck.judge(List.of(headers(1, true, 10, "grpc-status", "7"),
                rst(1, 0, 300)), path, 65536, 290, 3000);
        assertEquals(Verdict.BUG, noError.word, noError.saw);
        assertTrue(noError.saw.contains("RST_STREAM(NO_ERROR) 290 ms after"), noError.saw);
        // with h2patch: no reset while the client sends within the bounds and then ends its stream
        Verdict ok = ProxySafeResetCheck.judge(List.of(headers(1, true, 10, "grpc-status", "7")), path, 262144, 1000,
                3000);
        assertEquals(Verdict.OK, ok.word, ok.saw);
        assertTrue(ok.saw.contains("256 KiB"), ok.saw);
        Verdict inFlight = ProxySafeResetCheck.judge(List.of(headers(1, true, 10, "grpc-status", "7"), rst(1, 8, 11),
                rst(1, 5, 12), rst(1, 5, 12), rst(1, 5, 13)), path, 49152, 2, 3000);
        assertTrue(inFlight.saw.contains("END_STREAM), RST_STREAM(CANCEL), RST_STREAM(STREAM_CLOSED) x3: RST_STREAM"
                + "(CANCEL) 1.0 ms after"), inFlight.saw);
        Verdict waited = ProxySafeResetCheck.judge(List.of(), path, 0, 0, 3000);
        assertEquals(Verdict.UNKNOWN, waited.word);
        Verdict resetFirst = ProxySafeResetCheck.judge(List.of(rst(1, 1, 3)), path, 0, 0, 3000);
        assertEquals(Verdict.UNKNOWN, resetFirst.word, resetFirst.saw);
    }

    @Test
    void earlySettings() {
        Verdict first = EarlySettingsCheck.judge(List.of(settings(2, 3, 100)), 1000, 3000, null);
        assertEquals(Verdict.OK, first.word);
        assertTrue(first.saw.startsWith("SETTINGS 2.0 ms after connect, before the client spoke"), first.saw);
        Verdict afterPreface = EarlySettingsCheck.judge(List.of(sent(Frame.SETTINGS, 0, 1000),
                settings(1003, 3, 100)), 1000, 3000, null);
        assertEquals(Verdict.OK, afterPreface.word);
        assertTrue(afterPreface.saw.startsWith("silent until the client spoke"), afterPreface.saw);
        Verdict sniffer = EarlySettingsCheck.judge(List.of(sent(Frame.SETTINGS, 0, 1000)), 1000, 3000, null);
        assertEquals(Verdict.BUG, sniffer.word, sniffer.saw);
        Verdict closed = EarlySettingsCheck.judge(List.of(), 1000, 3000, "closed by the server (EOF)");
        assertEquals(Verdict.UNKNOWN, closed.word);
    }

    @Test
    void connectionState() {
        List<String> open = Arrays.asList((String) null);
        Verdict quiet = ConnectionStateCheck.judge(List.of(List.of()), open, 0.4, 3000);
        assertEquals(Verdict.UNKNOWN, quiet.word);
        assertTrue(quiet.saw.contains("PING answered in 0.4 ms; no GOAWAY during the probe; the probe cannot stop"),
                quiet.saw);
        Frame g1 = Frame.in(Frame.GOAWAY, 0, 0, FrameCodec.goaway(Integer.MAX_VALUE, 0), 5, null);
        Frame g2 = Frame.in(Frame.GOAWAY, 0, 0, FrameCodec.goaway(3, 0), 9, null);
        Verdict twoPhase = ConnectionStateCheck.judge(List.of(List.of(g1, g2)),
                Arrays.asList("closed by the server (EOF)"), 1, 3000);
        assertTrue(twoPhase.saw.contains("GOAWAY(last-stream-id 2147483647, NO_ERROR) then, connection 1:"
                + " GOAWAY(last-stream-id 3, NO_ERROR) (two-phase"), twoPhase.saw);
        // closed under an open stream without GOAWAY: the bug, seen
        Verdict cut = ConnectionStateCheck.judge(List.of(List.of(sent(Frame.HEADERS, 1, 1))),
                Arrays.asList("closed by the server (EOF)"), -1, 3000);
        assertEquals(Verdict.BUG, cut.word, cut.saw);
        assertTrue(cut.saw.contains("without GOAWAY while stream(s) [1] were open"), cut.saw);
    }

    @Test
    void patchLikelihood() {
        Verdict ok = Verdict.ok("end-stream", "x");
        Verdict likely = PatchLikelihood.judge(List.of(ok), List.of(sent(Frame.SETTINGS, 0, 1000),
                settings(1001), sent(Frame.HEADERS, 1, 1002), settings(1010, 6, 8192)));
        assertEquals("possible", likely.word, likely.saw);
        Verdict unlikely = PatchLikelihood.judge(List.of(ok, Verdict.bug("end-stream", "y")),
                List.of(settings(1, 6, 8192)));
        assertEquals("unlikely", unlikely.word);
        assertEquals(Verdict.UNKNOWN, PatchLikelihood.judge(List.of(ok), List.of(settings(1, 6, 8192))).word);
    }

    @Test
    void options() throws Exception {
        ProbeOptions o = ProbeOptions.parse(List.of("https://[::1]:8443/x?y=1", "--timeout", "500ms", "-v", "--json",
                "--grpc-method", "/a.B/C", "--upload-path", "/a.B/D", "--sni", "example.com", "--insecure"));
        assertTrue(o.tls && o.verbose && o.json && o.insecure);
        assertEquals("::1", o.host);
        assertEquals(8443, o.port);
        assertEquals("/x?y=1", o.path);
        assertEquals(500, o.timeoutMs);
        assertEquals("/a.B/C", o.grpcMethod);
        assertEquals("/a.B/D", ProxySafeResetCheck.path(o));
        assertEquals(80, ProbeOptions.parse(List.of("http://h")).port);
        assertEquals(2000, ProbeOptions.parse(List.of("http://h:1", "--timeout", "2")).timeoutMs);
        for (List<String> bad : List.of(List.<String>of(), List.of("ftp://h"), List.of("http://h", "--bogus"),
                List.of("http://h", "--path", "x"), List.of("http://h", "--timeout", "10ms"),
                List.of("http://h", "--timeout"))) {
            assertThrows(ProbeOptions.UsageException.class, () -> ProbeOptions.parse(bad), bad.toString());
        }
    }
}
