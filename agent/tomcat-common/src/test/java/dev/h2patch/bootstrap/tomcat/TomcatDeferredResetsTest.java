package dev.h2patch.bootstrap.tomcat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import java.util.List;
import org.apache.coyote.http2.FakeTomcat;
import org.apache.coyote.http2.FakeTomcat.FrameType;
import org.apache.coyote.http2.FakeTomcat.Http2Error;
import org.apache.coyote.http2.FakeTomcat.State;
import org.apache.coyote.http2.StreamException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link TomcatDeferredResets} on stand-ins of Tomcat's classes (org.apache.coyote.http2.FakeTomcat). */
class TomcatDeferredResetsTest {

    private final boolean reportOnly = H2patchRuntime.reportOnly;
    private final long deferMillis = H2patchRuntime.resetDeferMillis;
    private final long deferBytes = H2patchRuntime.resetDeferBytes;

    @BeforeEach
    void fixMode() {
        H2patchRuntime.reportOnly = false;
    }

    @AfterEach
    void restore() {
        TomcatDeferredResets.stop();
        H2patchRuntime.reportOnly = reportOnly;
        H2patchRuntime.resetDeferMillis = deferMillis;
        H2patchRuntime.resetDeferBytes = deferBytes;
    }

    private static Object close(Object connection, FakeTomcat.Stream stream, Http2Error error, int id)
            throws Exception {
        return TomcatDeferredResets.onClose(connection, stream, stream.state, StreamException.of(error, id));
    }

    @Test
    void theClientsEndStreamEndsAHeldResetWithoutAFrame() throws Exception {
        H2patchRuntime.resetDeferMillis = 60000;
        Object connection = new Object();
        FakeTomcat.Stream stream = new FakeTomcat.Stream(State.HALF_CLOSED_LOCAL);
        long avoided = Counters.get(Counters.PROXY_SAFE_RESET_AVOIDED);
        assertSame(TomcatDeferredResets.HOLD, close(connection, stream, Http2Error.CANCEL, 1));
        assertEquals(1, stream.input.swallowed, "the buffered request bytes are swallowed, as Tomcat's close does");
        assertTrue(TomcatDeferredResets.anyHeld());
        assertEquals(1, TomcatDeferredResets.heldOn(connection));
        stream.state.set(State.CLOSED_RX);
        TomcatDeferredResets.onEndOfStream(stream);
        assertEquals(0, TomcatDeferredResets.heldOn(connection));
        assertEquals(avoided + 1, Counters.get(Counters.PROXY_SAFE_RESET_AVOIDED));
        for (int i = 0; i < 100 && stream.replaced == 0; i++) {
            Thread.sleep(10);
        }
        assertEquals(1, stream.replaced, "recycled as Tomcat's close would");
        assertEquals(List.of(), stream.closes, "no reset sent");
    }

    @Test
    void aConnectionThatCannotBeWrittenIsLeftToTomcatsOwnClose() throws Exception {
        H2patchRuntime.resetDeferMillis = 60000;
        Object connection = new Object();
        FakeTomcat.Stream stream = new FakeTomcat.Stream(State.HALF_CLOSED_LOCAL);
        stream.input.writeFails = new java.io.IOException("Broken pipe");
        long failed = Counters.get(Counters.PROXY_SAFE_RESET_FAILED);
        long deferred = Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED);
        assertNull(close(connection, stream, Http2Error.NO_ERROR, 1), "Tomcat's close runs as asked");
        assertEquals(0, TomcatDeferredResets.heldOn(connection), "nothing held");
        assertFalse(TomcatDeferredResets.anyHeld());
        assertEquals(failed, Counters.get(Counters.PROXY_SAFE_RESET_FAILED), "a gone client is not the agent's failure");
        assertEquals(deferred, Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED));
    }

    @Test
    void theTimeBoundClosesWithNoError() throws Exception {
        H2patchRuntime.resetDeferMillis = 50;
        Object connection = new Object();
        FakeTomcat.Stream stream = new FakeTomcat.Stream(State.HALF_CLOSED_LOCAL);
        long timeout = Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED_TIMEOUT);
        long rewritten = Counters.get(Counters.PROXY_SAFE_RESET_REWRITTEN);
        assertSame(TomcatDeferredResets.HOLD, close(connection, stream, Http2Error.CANCEL, 3));
        for (int i = 0; i < 200 && stream.closes.isEmpty(); i++) {
            Thread.sleep(10);
        }
        assertEquals(List.of("NO_ERROR"), stream.closes, "Tomcat's close, with NO_ERROR");
        assertEquals(0, TomcatDeferredResets.heldOn(connection));
        assertEquals(timeout + 1, Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED_TIMEOUT));
        assertEquals(rewritten + 1, Counters.get(Counters.PROXY_SAFE_RESET_REWRITTEN), "CANCEL became NO_ERROR");
    }

    @Test
    void theByteBoundClosesWithNoErrorAtOnce() throws Exception {
        H2patchRuntime.resetDeferMillis = 60000;
        H2patchRuntime.resetDeferBytes = 100;
        Object connection = new Object();
        FakeTomcat.Stream stream = new FakeTomcat.Stream(State.HALF_CLOSED_LOCAL);
        long bytes = Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED_BYTES);
        assertSame(TomcatDeferredResets.HOLD, close(connection, stream, Http2Error.NO_ERROR, 5));
        TomcatDeferredResets.onData(connection, 7, 1000, false);
        TomcatDeferredResets.onData(connection, 5, 60, false);
        Thread.sleep(100);
        assertEquals(List.of(), stream.closes, "60 bytes, within the bound; 1000 bytes of another stream do not count");
        TomcatDeferredResets.onData(connection, 5, 60, false);
        for (int i = 0; i < 200 && stream.closes.isEmpty(); i++) {
            Thread.sleep(10);
        }
        assertEquals(List.of("NO_ERROR"), stream.closes);
        assertEquals(bytes + 1, Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED_BYTES));
    }

    @Test
    void smallFramesOfAHeldStreamAreChargedAtTheOverheadThreshold() throws Exception {
        H2patchRuntime.resetDeferMillis = 60000;
        H2patchRuntime.resetDeferBytes = 40000;
        Object connection = new FakeTomcat.Connection();
        assertEquals(1024, TomcatDeferredResets.overheadDataThreshold(connection));
        FakeTomcat.Stream stream = new FakeTomcat.Stream(State.HALF_CLOSED_LOCAL);
        assertSame(TomcatDeferredResets.HOLD, close(connection, stream, Http2Error.NO_ERROR, 3));
        for (int i = 0; i < 39; i++) {
            TomcatDeferredResets.onData(connection, 3, 5, false);
        }
        Thread.sleep(100);
        assertEquals(List.of(), stream.closes, "39 small frames: 39 x 1024 charged, within 40000 bytes");
        assertEquals(1, TomcatDeferredResets.heldOn(connection));
        long bytes = Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED_BYTES);
        TomcatDeferredResets.onData(connection, 3, 5, false);
        for (int i = 0; i < 200 && stream.closes.isEmpty(); i++) {
            Thread.sleep(10);
        }
        assertEquals(List.of("NO_ERROR"), stream.closes, "the 40th: past the bound, the reset goes out at once");
        assertEquals(bytes + 1, Counters.get(Counters.PROXY_SAFE_RESET_DEFERRED_BYTES));
        assertEquals(-1, TomcatDeferredResets.overheadDataThreshold(new Object()), "the threshold is not known");
    }

    @Test
    void aHeldStreamGetsItsWindowAndItsInputRoomBackOnTheThreadThatDiscards() throws Exception {
        H2patchRuntime.resetDeferMillis = 60000;
        Object connection = new FakeTomcat.Connection();
        FakeTomcat.Stream stream = new FakeTomcat.Stream(State.HALF_CLOSED_LOCAL);
        stream.input.inBuffer = java.nio.ByteBuffer.allocate(65535);
        stream.input.inBuffer.limit(65535 - 16384); // what Tomcat's swallowUnread leaves after 16 KiB
        assertSame(TomcatDeferredResets.HOLD, close(connection, stream, Http2Error.NO_ERROR, 3));
        assertFalse(TomcatDeferredResets.returnWindow(connection, 5), "another stream: Tomcat's own window rules");
        assertFalse(TomcatDeferredResets.returnsWindowOf(stream));

        assertTrue(TomcatDeferredResets.returnWindow(connection, 3));
        assertEquals(65535, stream.input.inBuffer.limit(), "the discarded bytes' room is back");
        assertTrue(TomcatDeferredResets.returnsWindowOf(stream));
        assertFalse(TomcatDeferredResets.returnsWindowOf(new FakeTomcat.Stream(State.HALF_CLOSED_LOCAL)));
        boolean[] otherThread = new boolean[1];
        Thread t = new Thread(() -> otherThread[0] = TomcatDeferredResets.returnsWindowOf(stream));
        t.start();
        t.join();
        assertFalse(otherThread[0], "only on the thread that discards");
        TomcatDeferredResets.endWindowReturn();
        assertFalse(TomcatDeferredResets.returnsWindowOf(stream));

        stream.input.inBuffer = null; // nothing arrived before the hold: Tomcat discards without a buffer
        assertTrue(TomcatDeferredResets.returnWindow(connection, 3));
        TomcatDeferredResets.endWindowReturn();
        TomcatDeferredResets.onEndOfStream(stream);
        assertFalse(TomcatDeferredResets.returnWindow(connection, 3), "nothing held any more");
    }

    @Test
    void aHeldStreamsNonFinalFrameIsExemptFromTomcatsOverheadCountOnItsThreadOnly() throws Exception {
        H2patchRuntime.resetDeferMillis = 60000;
        FakeTomcat.Connection connection = new FakeTomcat.Connection();
        connection.lastNonFinalDataPayload(5);
        FakeTomcat.Stream stream = new FakeTomcat.Stream(State.HALF_CLOSED_LOCAL);
        assertSame(TomcatDeferredResets.HOLD, close(connection, stream, Http2Error.NO_ERROR, 3),
                "held after a small frame too: the next ones are exempt");
        assertEquals(TomcatDeferredResets.NOT_EXEMPT, TomcatDeferredResets.exemptFromOverhead(connection, 5),
                "another stream's frame counts");
        assertFalse(TomcatDeferredResets.exemptsOverheadOf(FrameType.DATA));

        int saved = TomcatDeferredResets.exemptFromOverhead(connection, 3);
        assertEquals(5, saved, "the connection's last non-final payload, to restore");
        assertTrue(TomcatDeferredResets.exemptsOverheadOf(FrameType.DATA));
        assertFalse(TomcatDeferredResets.exemptsOverheadOf(FrameType.RST), "only the DATA count is skipped");
        boolean[] otherThread = new boolean[1];
        Thread t = new Thread(() -> otherThread[0] = TomcatDeferredResets.exemptsOverheadOf(FrameType.DATA));
        t.start();
        t.join();
        assertFalse(otherThread[0], "another thread's frames count");
        connection.lastNonFinalDataPayload(1); // what Tomcat writes for the exempt frame
        TomcatDeferredResets.endOverheadExemption(connection, saved);
        assertFalse(TomcatDeferredResets.exemptsOverheadOf(FrameType.DATA));
        assertEquals(5, connection.lastNonFinalDataPayload(), "the exempt frame left Tomcat's average as it was");

        TomcatDeferredResets.onEndOfStream(stream);
        assertEquals(TomcatDeferredResets.NOT_EXEMPT, TomcatDeferredResets.exemptFromOverhead(connection, 3),
                "nothing held: Tomcat counts the frame");
        assertFalse(TomcatDeferredResets.exemptsOverheadOf(FrameType.DATA));
    }

    /**
     * A connection whose overhead threshold cannot be read: its held stream's frames keep Tomcat's overhead count, since
     * they could not be charged at the threshold and the exemption would have no bound in frames.
     */
    @Test
    void withAnUnknownOverheadThresholdNoFrameIsExempt() throws Exception {
        H2patchRuntime.resetDeferMillis = 60000;
        Object connection = new Object(); // no protocol field
        FakeTomcat.Stream stream = new FakeTomcat.Stream(State.HALF_CLOSED_LOCAL);
        assertSame(TomcatDeferredResets.HOLD, close(connection, stream, Http2Error.NO_ERROR, 3));
        assertEquals(1, TomcatDeferredResets.heldOn(connection));
        assertEquals(TomcatDeferredResets.NOT_EXEMPT, TomcatDeferredResets.exemptFromOverhead(connection, 3));
        assertFalse(TomcatDeferredResets.exemptsOverheadOf(FrameType.DATA));
        TomcatDeferredResets.onEndOfStream(stream);
        assertFalse(TomcatDeferredResets.anyHeld());
    }

    /** Each connection's held resets are its own: one connection's end leaves another's hold, and no entry behind. */
    @Test
    void heldResetsArePerConnectionAndLeaveNoEntryWhenEnded() throws Exception {
        H2patchRuntime.resetDeferMillis = 60000;
        FakeTomcat.Connection first = new FakeTomcat.Connection();
        FakeTomcat.Connection second = new FakeTomcat.Connection();
        FakeTomcat.Stream a = new FakeTomcat.Stream(State.HALF_CLOSED_LOCAL);
        FakeTomcat.Stream b = new FakeTomcat.Stream(State.HALF_CLOSED_LOCAL);
        assertSame(TomcatDeferredResets.HOLD, close(first, a, Http2Error.CANCEL, 3));
        assertSame(TomcatDeferredResets.HOLD, close(second, b, Http2Error.CANCEL, 3)); // the same stream id
        assertEquals(1, TomcatDeferredResets.heldOn(first));
        assertEquals(1, TomcatDeferredResets.heldOn(second));
        assertTrue(TomcatDeferredResets.exemptFromOverhead(second, 3) != TomcatDeferredResets.NOT_EXEMPT);
        TomcatDeferredResets.endOverheadExemption(second, 2048);

        TomcatDeferredResets.onEndOfStream(a);
        assertEquals(0, TomcatDeferredResets.heldOn(first));
        assertEquals(1, TomcatDeferredResets.heldOn(second), "the other connection's stream 3 is still held");
        assertEquals(TomcatDeferredResets.NOT_EXEMPT, TomcatDeferredResets.exemptFromOverhead(first, 3));

        TomcatDeferredResets.onClientReset(b);
        assertEquals(0, TomcatDeferredResets.heldOn(second));
        assertFalse(TomcatDeferredResets.anyHeld());
        assertEquals(0, TomcatDeferredResets.connectionsWithHeldResets(), "no entry is left once nothing is held");
    }

    @Test
    void aClientResetDropsTheHeldReset() throws Exception {
        H2patchRuntime.resetDeferMillis = 50;
        Object connection = new Object();
        FakeTomcat.Stream stream = new FakeTomcat.Stream(State.HALF_CLOSED_LOCAL);
        assertSame(TomcatDeferredResets.HOLD, close(connection, stream, Http2Error.NO_ERROR, 1));
        stream.state.set(State.CLOSED_RST_RX);
        TomcatDeferredResets.onClientReset(stream);
        Thread.sleep(150);
        assertEquals(List.of(), stream.closes);
        assertFalse(TomcatDeferredResets.anyHeld());
    }

    @Test
    void anotherCloseWhileHeldGoesOutAsNoErrorAndOwnClosesPass() throws Exception {
        H2patchRuntime.resetDeferMillis = 60000;
        Object connection = new Object();
        FakeTomcat.Stream stream = new FakeTomcat.Stream(State.HALF_CLOSED_LOCAL);
        assertSame(TomcatDeferredResets.HOLD, close(connection, stream, Http2Error.CANCEL, 1));
        Object replacement = close(connection, stream, Http2Error.INTERNAL_ERROR, 1);
        assertTrue(replacement instanceof StreamException, "a NO_ERROR exception replaces the asked one");
        assertEquals(0, TomcatDeferredResets.heldOn(connection));
    }

    @Test
    void onlyCompleteResponsesAndStreamExceptionsAreHeld() throws Exception {
        Object connection = new Object();
        assertNull(close(connection, new FakeTomcat.Stream(State.OPEN), Http2Error.CANCEL, 1), "an abort");
        assertNull(close(connection, new FakeTomcat.Stream(State.HALF_CLOSED_LOCAL), Http2Error.PROTOCOL_ERROR, 1));
        FakeTomcat.Stream stream = new FakeTomcat.Stream(State.HALF_CLOSED_LOCAL);
        assertNull(TomcatDeferredResets.onClose(connection, stream, stream.state, new Exception("not a stream error")));
        assertFalse(TomcatDeferredResets.anyHeld());
    }

    @Test
    void theConnectionLimitSendsTheRestAtOnceAsNoError() throws Exception {
        H2patchRuntime.resetDeferMillis = 60000;
        Object connection = new Object();
        for (int i = 0; i < TomcatDeferredResets.MAX_PER_CONNECTION; i++) {
            assertSame(TomcatDeferredResets.HOLD,
                    close(connection, new FakeTomcat.Stream(State.HALF_CLOSED_LOCAL), Http2Error.CANCEL, 2 * i + 1));
        }
        Object over = close(connection, new FakeTomcat.Stream(State.HALF_CLOSED_LOCAL), Http2Error.CANCEL, 999);
        assertTrue(over instanceof StreamException, "past the limit: NO_ERROR at once");
        assertNull(close(connection, new FakeTomcat.Stream(State.HALF_CLOSED_LOCAL), Http2Error.NO_ERROR, 1001),
                "past the limit, already NO_ERROR: as asked");
    }

    @Test
    void detachSendsEveryHeldResetNow() throws Exception {
        H2patchRuntime.resetDeferMillis = 60000;
        Object connection = new Object();
        FakeTomcat.Stream stream = new FakeTomcat.Stream(State.HALF_CLOSED_LOCAL);
        assertSame(TomcatDeferredResets.HOLD, close(connection, stream, Http2Error.CANCEL, 1));
        TomcatDeferredResets.stop();
        assertEquals(List.of("NO_ERROR"), stream.closes);
        assertFalse(TomcatDeferredResets.anyHeld());
    }
}
