package dev.h2patch.bootstrap.undertow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@link UndertowProxySafeReset}: when the answer goes first, and the bounded drain after it. */
class UndertowProxySafeResetTest {

    /** Stand-in for {@code Http2Channel}: records the resets. */
    public static final class FakeChannel {
        final List<int[]> resets = new ArrayList<int[]>();
        volatile FakeUpload upload;

        public void sendRstStream(int streamId, int code) {
            resets.add(new int[] {streamId, code});
            if (upload != null) {
                upload.reset = true;
            }
        }
    }

    /** Stand-in for {@code Http2DataStreamSinkChannel}. */
    public static final class FakeSink {
        public int getStreamId() {
            return 5;
        }
    }

    /** Stand-in for {@code Http2StreamSourceChannel}. */
    public static final class FakeSource {
        volatile boolean ignoreForceClose;

        public void setIgnoreForceClose(boolean ignore) {
            ignoreForceClose = ignore;
        }
    }

    /** Stand-in for {@code Http2ServerConnection}: its private channel, request and response channels. */
    static final class FakeConnection {
        private final FakeChannel channel = new FakeChannel();
        private final FakeSource requestChannel = new FakeSource();
        private final FakeSink responseChannel = new FakeSink();
    }

    /**
     * A client that uploads 100 bytes every 10 ms until the stream is reset, or until {@code endAfterMillis} (then
     * END_STREAM); a {@code silent} one sends nothing until it is reset.
     */
    static final class FakeUpload extends InputStream {
        volatile boolean reset;
        volatile boolean silent;
        volatile long endAfterMillis = Long.MAX_VALUE;
        volatile boolean ended;
        private final long start = System.nanoTime();

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0];
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (true) {
                if (reset) {
                    throw new IOException("stream reset");
                }
                if ((System.nanoTime() - start) / 1_000_000 >= endAfterMillis) {
                    ended = true;
                    return -1;
                }
                try {
                    Thread.sleep(10);
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                if (!silent) {
                    return Math.min(len, 100);
                }
            }
        }
    }

    private final boolean reportOnly = H2patchRuntime.reportOnly;
    private final long ms = H2patchRuntime.resetDeferMillis;
    private final long bytes = H2patchRuntime.resetDeferBytes;

    @AfterEach
    void restore() {
        H2patchRuntime.reportOnly = reportOnly;
        H2patchRuntime.resetDeferMillis = ms;
        H2patchRuntime.resetDeferBytes = bytes;
        UndertowProxySafeReset.stop();
    }

    @Test
    void onlyAnHttp2ExchangeWithTheRequestStillOpenAnswersFirst() {
        H2patchRuntime.reportOnly = false;
        assertTrue(UndertowProxySafeReset.answersFirst(true, false));
        assertFalse(UndertowProxySafeReset.answersFirst(true, true), "request complete: Undertow's order is fine");
        assertFalse(UndertowProxySafeReset.answersFirst(false, false), "HTTP/1.1: unchanged");
        H2patchRuntime.reportOnly = true;
        long would = Counters.get(Counters.PROXY_SAFE_RESET_WOULD_CHANGE);
        assertFalse(UndertowProxySafeReset.answersFirst(true, false));
        assertEquals(would + 1, Counters.get(Counters.PROXY_SAFE_RESET_WOULD_CHANGE));
    }

    @Test
    void onlyAFlushThatFindsTheLastFrameSentAndTheListenerNotRunCompletesTheResponse() {
        H2patchRuntime.reportOnly = false;
        long avoided = Counters.get(Counters.PROXY_SAFE_RESET_AVOIDED);
        assertTrue(UndertowProxySafeReset.completesResponse(true, true));
        assertEquals(avoided + 1, Counters.get(Counters.PROXY_SAFE_RESET_AVOIDED));
        assertFalse(UndertowProxySafeReset.completesResponse(true, false), "the listener already ran");
        assertFalse(UndertowProxySafeReset.completesResponse(false, true), "the last frame is not out yet");
        assertFalse(UndertowProxySafeReset.completesResponse(false, false));
        assertEquals(avoided + 1, Counters.get(Counters.PROXY_SAFE_RESET_AVOIDED));
        H2patchRuntime.reportOnly = true;
        long would = Counters.get(Counters.PROXY_SAFE_RESET_WOULD_CHANGE);
        assertFalse(UndertowProxySafeReset.completesResponse(true, true));
        assertEquals(would + 1, Counters.get(Counters.PROXY_SAFE_RESET_WOULD_CHANGE));
        assertEquals(avoided + 1, Counters.get(Counters.PROXY_SAFE_RESET_AVOIDED));
    }

    /** Named as Undertow's: its default blocking exchange's class name ends in HttpServerExchange$DefaultBlockingHttpExchange. */
    static final class HttpServerExchange {
        static final class DefaultBlockingHttpExchange {
        }
    }

    /** Stand-in for {@code HttpServerExchange}: its private {@code blockingHttpExchange}. */
    static final class FakeExchange {
        private final Object blockingHttpExchange;

        FakeExchange(Object blocking) {
            this.blockingHttpExchange = blocking;
        }
    }

    @Test
    void theDefaultAndTheServletBlockingExchangesDrainAtTheirClose() {
        assertTrue(UndertowProxySafeReset.drainsAtClose(
                "io.undertow.server.HttpServerExchange$DefaultBlockingHttpExchange"));
        assertTrue(UndertowProxySafeReset.drainsAtClose("io.undertow.servlet.core.ServletBlockingHttpExchange"));
        assertFalse(UndertowProxySafeReset.drainsAtClose("com.example.MyBlockingHttpExchange"),
                "a blocking exchange of the application's own: its close is not advised");
    }

    @Test
    void aContinueResetIsLeftToTheBoundsOnlyForTheAdvisedBlockingExchanges() throws Exception {
        H2patchRuntime.reportOnly = false;
        Object defaultBlocking = new HttpServerExchange.DefaultBlockingHttpExchange();
        assertTrue(UndertowProxySafeReset.leavesContinueResetToTheBounds(true, false, true,
                new FakeExchange(defaultBlocking)));
        assertFalse(UndertowProxySafeReset.leavesContinueResetToTheBounds(true, false, true,
                new FakeExchange(new Object())),
                "another blocking exchange: its close is not advised, Undertow's CANCEL stays");
        assertFalse(UndertowProxySafeReset.leavesContinueResetToTheBounds(true, false, true, new FakeExchange(null)),
                "not blocking");
        assertFalse(UndertowProxySafeReset.leavesContinueResetToTheBounds(false, false, true,
                new FakeExchange(defaultBlocking)), "no 100-continue asked");
        assertFalse(UndertowProxySafeReset.leavesContinueResetToTheBounds(true, true, true,
                new FakeExchange(defaultBlocking)), "request complete");
        assertFalse(UndertowProxySafeReset.leavesContinueResetToTheBounds(true, false, false,
                new FakeExchange(defaultBlocking)), "the application took the request: Undertow's reset stays");
        H2patchRuntime.reportOnly = true;
        assertFalse(UndertowProxySafeReset.leavesContinueResetToTheBounds(true, false, true,
                new FakeExchange(defaultBlocking)), "report mode changes nothing");
    }

    @Test
    void aClientThatEndsItsUploadIsNeverReset() throws Exception {
        FakeConnection connection = new FakeConnection();
        long avoided = Counters.get(Counters.PROXY_SAFE_RESET_AVOIDED);
        UndertowProxySafeReset.drainRequest(new ByteArrayInputStream(new byte[5000]), connection);
        assertTrue(connection.channel.resets.isEmpty());
        assertEquals(avoided + 1, Counters.get(Counters.PROXY_SAFE_RESET_AVOIDED));
        assertTrue(connection.requestChannel.ignoreForceClose, "no RST_STREAM(CANCEL) at Undertow's close");
    }

    @Test
    void aClientStillSendingPastTheTimeBoundIsReadToItsEndNotReset() throws Exception {
        // Undertow ends the connection (GOAWAY PROTOCOL_ERROR) on DATA that arrives after the request channel closed.
        H2patchRuntime.resetDeferMillis = 100;
        FakeConnection connection = new FakeConnection();
        FakeUpload upload = new FakeUpload();
        upload.endAfterMillis = 400;
        connection.channel.upload = upload;
        long timeouts = Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED_TIMEOUT);
        UndertowProxySafeReset.drainRequest(upload, connection);
        assertTrue(connection.channel.resets.isEmpty(), "no reset of a client that sends");
        assertTrue(upload.ended, "read to the client's end");
        assertEquals(timeouts, Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED_TIMEOUT));
    }

    @Test
    void aClientThatSendsNothingIsResetWithNoErrorAtTheTimeBound() throws Exception {
        // A client that waits for a 100 Continue it does not get.
        H2patchRuntime.resetDeferMillis = 200;
        FakeConnection connection = new FakeConnection();
        FakeUpload silent = new FakeUpload();
        silent.silent = true;
        connection.channel.upload = silent;
        long counted = Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED_TIMEOUT);
        long start = System.nanoTime();
        UndertowProxySafeReset.drainRequest(silent, connection);
        long tookMs = (System.nanoTime() - start) / 1_000_000;
        assertEquals(1, connection.channel.resets.size());
        assertEquals(5, connection.channel.resets.get(0)[0], "the exchange's stream");
        assertEquals(0, connection.channel.resets.get(0)[1], "NO_ERROR");
        assertTrue(tookMs >= 150 && tookMs < 3000, "ended at the time bound: " + tookMs + " ms");
        assertEquals(counted + 1, Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED_TIMEOUT));
    }
}
