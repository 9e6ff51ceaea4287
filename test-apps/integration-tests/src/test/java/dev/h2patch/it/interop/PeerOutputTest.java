package dev.h2patch.it.interop;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The peers' output as the report shows it, on output recorded in the formats the peers print. */
class PeerOutputTest {

    @Test
    void grpcJsStatusAndDetails() {
        assertEquals("NOT_FOUND \"no such thing\"",
                PeerOutput.grpcJs("{\"code\":5,\"name\":\"NOT_FOUND\",\"details\":\"no such thing\"}"));
        assertEquals("OK", PeerOutput.grpcJs("{\"code\":0,\"name\":\"OK\",\"details\":\"\",\"serving\":true}"));
        assertEquals("not json", PeerOutput.grpcJs("not json"));
    }

    @Test
    void nodeUpload() {
        assertEquals(":status 200, grpc-status 7, rst=8 after 123 ms", PeerOutput.nodeUpload(
                "{\"status\":200,\"grpcStatus\":\"7\",\"grpcMessage\":\"upload rejected\",\"rstCode\":8,"
                        + "\"closedMs\":123,\"error\":null}"));
        assertEquals(":status 200, grpc-status 7, rst=0 after 5 ms, error \"ECONNRESET\"", PeerOutput.nodeUpload(
                "{\"status\":200,\"grpcStatus\":\"7\",\"grpcMessage\":\"x\",\"rstCode\":0,"
                        + "\"closedMs\":5,\"error\":\"ECONNRESET\"}"));
    }

    static final String NGHTTP_BUG = """
            [  0.002] recv SETTINGS frame <length=6, flags=0x00, stream_id=0>
                      (niv=1)
                      [SETTINGS_MAX_CONCURRENT_STREAMS(0x03):2147483647]
            [  0.003] recv WINDOW_UPDATE frame <length=4, flags=0x00, stream_id=1>
                      (window_size_increment=5)
            [  0.004] recv (stream_id=1) :status: 200
            [  0.004] recv HEADERS frame <length=40, flags=0x04, stream_id=1>
                      ; END_HEADERS
                      (padlen=0)
                      ; First response header
            [  0.004] recv DATA frame <length=0, flags=0x01, stream_id=1>
                      ; END_STREAM
            [  0.005] recv GOAWAY frame <length=8, flags=0x00, stream_id=0>
                      (last_stream_id=1, error_code=NO_ERROR(0x00), opaque_data(0)=[])
            """;

    @Test
    void nghttpFramesOfTheRequestStream() {
        assertEquals("HEADERS, DATA[0]+ES, GOAWAY(conn)", PeerOutput.nghttpFrames(NGHTTP_BUG, 0));
        String reset = """
                [  0.004] recv HEADERS frame <length=40, flags=0x05, stream_id=13>
                          ; END_STREAM | END_HEADERS
                [  0.005] recv RST_STREAM frame <length=4, flags=0x00, stream_id=13>
                          (error_code=CANCEL(0x08))
                """;
        assertEquals("HEADERS+ES, RST_STREAM(CANCEL) (nghttp exit 1)", PeerOutput.nghttpFrames(reset, 1));
        assertEquals("no response frames", PeerOutput.nghttpFrames("", 0));
    }

    @Test
    void nghttpCollapsesRunsOfData() {
        String data = """
                [  0.004] recv HEADERS frame <length=40, flags=0x04, stream_id=1>
                [  0.004] recv DATA frame <length=16384, flags=0x00, stream_id=1>
                [  0.004] recv DATA frame <length=16384, flags=0x00, stream_id=1>
                [  0.004] recv DATA frame <length=100, flags=0x00, stream_id=1>
                [  0.004] recv DATA frame <length=0, flags=0x01, stream_id=1>
                """;
        assertEquals("HEADERS, DATA…, DATA[0]+ES", PeerOutput.nghttpFrames(data, 0));
    }

    @Test
    void haproxyStateIsTheLastLogLine() {
        String log = "127.0.0.1:5000 [02/Dec/2026:22:00:00.000] fe be/app 0/0/0/1/1 200 45 - - ---- 1/1/0/0/0 0/0 "
                + "\"POST /x HTTP/2.0\"\n127.0.0.1:5001 [02/Dec/2026:22:00:01.000] fe be/app 0/0/0/1/1 200 45 - - "
                + "SD-- 1/1/0/0/0 0/0 \"POST /x HTTP/2.0\"\n";
        assertEquals("SD--", PeerOutput.haproxyState(log));
        assertNull(PeerOutput.haproxyState("no log"));
    }

    @Test
    void h2loadCounts() {
        String out = """
                finished in 3.01s, 1.66 req/s, 120B/s
                requests: 5 total, 5 started, 5 done, 5 succeeded, 0 failed, 0 errored, 0 timeout
                status codes: 5 2xx, 0 3xx, 0 4xx, 0 5xx
                """;
        assertEquals("5 succeeded, 0 failed, 2xx=5 4xx=0 5xx=0", PeerOutput.h2loadCounts(out));
        assertEquals(": connect error", PeerOutput.h2loadCounts("connect error\n"));
    }
}
