package dev.h2patch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.EarlySettings;
import dev.h2patch.netty.NettyEarlySettingsFix;
import dev.h2patch.netty.NettyPrefaceFlushFix;
import org.junit.jupiter.api.Test;

/** The early-settings fix's declarations and its per-connection ACK mark. */
class NettyEarlySettingsFixTest {

    @Test
    void isRegisteredUnderItsStableName() {
        assertTrue(Fixes.isImplemented(Fixes.EARLY_SETTINGS));
    }

    @Test
    void fitsTheNettyItIsCompiledAgainst() {
        assertNull(Compatibility.findMissing(new NettyEarlySettingsFix(), Relocation.NONE,
                getClass().getClassLoader()));
    }

    /** Netty 4.1.140 flushes its preface itself (sendPrefaceIfNeeded): the flush part must skip itself there. */
    @Test
    void thePrefaceFlushPartSkipsNettyThatFlushesItself() {
        assertEquals("io.netty.handler.codec.http2.Http2ConnectionHandler$PrefaceDecoder has no method"
                        + " sendPreface(io.netty.channel.ChannelHandlerContext)",
                Compatibility.findMissing(new NettyPrefaceFlushFix(), Relocation.NONE, getClass().getClassLoader()));
    }

    @Test
    void anAckMarkIsTakenExactlyOnce() {
        Object connection = new Object();
        Object other = new Object();
        assertTrue(EarlySettings.mark(connection));
        assertTrue(!EarlySettings.mark(connection), "a connection is marked once");
        assertTrue(EarlySettings.anyPending());
        assertTrue(!EarlySettings.takeAck(other), "another connection's ACK is not taken");
        assertTrue(EarlySettings.takeAck(connection), "the first ACK is taken");
        assertTrue(!EarlySettings.takeAck(connection), "the second ACK goes to the library");
        assertTrue(!EarlySettings.isMarked(connection));
    }

    @Test
    void countersHaveNames() {
        assertEquals("early-settings.sent", Counters.name(Counters.EARLY_SETTINGS_SENT));
        assertEquals("early-settings.ack-absorbed", Counters.name(Counters.EARLY_SETTINGS_ACK_ABSORBED));
    }
}
