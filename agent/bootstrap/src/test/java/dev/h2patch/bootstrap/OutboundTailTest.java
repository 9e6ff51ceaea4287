package dev.h2patch.bootstrap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

/**
 * The unflushed tail of a channel's outbound buffer, read by reflection from the private fields Netty's
 * {@code ChannelOutboundBuffer} and its {@code Entry} have (here: fakes with the same field names and links).
 */
class OutboundTailTest {

    /** Netty's {@code ChannelOutboundBuffer}: flushed entries first, then the unflushed ones up to the tail. */
    static final class Buffer {
        private Entry flushedEntry;
        private Entry unflushedEntry;
        private Entry tailEntry;

        Buffer add(Object msg, Object promise) {
            Entry entry = new Entry(msg, promise);
            if (tailEntry != null) {
                tailEntry.next = entry;
            }
            tailEntry = entry;
            if (unflushedEntry == null) {
                unflushedEntry = entry;
            }
            return this;
        }

        Buffer flush() {
            if (flushedEntry == null) {
                flushedEntry = unflushedEntry;
            }
            unflushedEntry = null;
            return this;
        }
    }

    static final class Entry {
        private Entry next;
        private final Object msg;
        private final Object promise;

        Entry(Object msg, Object promise) {
            this.msg = msg;
            this.promise = promise;
        }
    }

    /** Another layout: nothing to read. */
    static final class OtherBuffer {
        private Object first;
    }

    @Test
    void theLastTwoUnflushedMessagesAndTheLastPromise() {
        Buffer buffer = new Buffer().add("frame header", "p1").add("header block", "p2");
        assertArrayEquals(new Object[] {"frame header", "header block", "p2"}, OutboundTail.lastTwoUnflushed(buffer));
        buffer.add("data", "p3");
        assertArrayEquals(new Object[] {"header block", "data", "p3"}, OutboundTail.lastTwoUnflushed(buffer));
    }

    @Test
    void flushedMessagesDoNotCount() {
        Buffer buffer = new Buffer().add("a", "pa").add("b", "pb").flush().add("c", "pc");
        assertNull(OutboundTail.lastTwoUnflushed(buffer), "one unflushed message: no pair");
        buffer.add("d", "pd");
        assertArrayEquals(new Object[] {"c", "d", "pd"}, OutboundTail.lastTwoUnflushed(buffer));
    }

    @Test
    void fewerThanTwoUnflushedOrNoBufferIsNull() {
        assertNull(OutboundTail.lastTwoUnflushed(null), "a channel with no outbound buffer (closed)");
        assertNull(OutboundTail.lastTwoUnflushed(new Buffer()), "nothing written");
        assertNull(OutboundTail.lastTwoUnflushed(new Buffer().add("a", "pa")), "one message");
        assertNull(OutboundTail.lastTwoUnflushed(new Buffer().add("a", "pa").add("b", "pb").flush()), "all flushed");
    }

    @Test
    void anotherLayoutIsNull() {
        assertNull(OutboundTail.lastTwoUnflushed(new OtherBuffer()));
        assertNull(OutboundTail.lastTwoUnflushed("not a buffer"));
    }

    @Test
    void aVeryLongUnflushedListIsNotWalked() {
        Buffer buffer = new Buffer();
        for (int i = 0; i < 1100; i++) {
            buffer.add("m" + i, "p" + i);
        }
        assertNull(OutboundTail.lastTwoUnflushed(buffer), "past 1024 entries the tail is not looked for");
        Buffer shorter = new Buffer();
        for (int i = 0; i < 1000; i++) {
            shorter.add("m" + i, "p" + i);
        }
        assertArrayEquals(new Object[] {"m998", "m999", "p999"}, OutboundTail.lastTwoUnflushed(shorter));
    }

    @Test
    void aBrokenLinkIsNull() {
        Buffer buffer = new Buffer().add("a", "pa").add("b", "pb").add("c", "pc");
        buffer.unflushedEntry.next = null; // the tail is no longer reachable from the unflushed head
        assertNull(OutboundTail.lastTwoUnflushed(buffer));
    }
}
