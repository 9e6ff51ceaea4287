package dev.h2patch.bootstrap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URL;
import java.net.URLClassLoader;
import org.junit.jupiter.api.Test;

/**
 * {@link SnifferEvidence} with stand-in types: {@link Buf} plays the library's buffer type, {@link Conn} its
 * connection type.
 */
class SnifferEvidenceTest {

    /** Stands in for the library buffer type (ByteBuf). */
    static class Buf {
        final String bytes;

        Buf(String bytes) {
            this.bytes = bytes;
        }
    }

    /** A subtype, as CompositeByteBuf is a ByteBuf. */
    static final class SubBuf extends Buf {
        SubBuf(String bytes) {
            super(bytes);
        }
    }

    /** Stands in for the library connection type (Channel). */
    static final class Conn {
    }

    /** Stands in for ByteToMessageDecoder: the buffer sits in a private field of the superclass. */
    abstract static class Decoder {
        private Buf cumulation;

        void keep(Buf b) {
            cumulation = b;
        }
    }

    /** A sniffer written as a decoder, with JDK-typed and static fields the scan must skip. */
    static final class DecoderSniffer extends Decoder {
        static final Buf CONSTANT = new Buf("constant");
        private final String name = "sniffer";
        private final Object anything = new Buf("declared as Object: not looked at");
        private int count;
    }

    /** A hand-written sniffer: its own buffer field, a subtype of the buffer type, and its own connection. */
    static final class HandSniffer {
        private SubBuf buffered = new SubBuf("kept");
        private Buf unused;
        private Conn self;
        private Conn parent;

        HandSniffer(Conn self, Conn parent) {
            this.self = self;
            this.parent = parent;
        }
    }

    /** HexDumpProxy's frontend: a reference to the backend connection. */
    static final class Relay {
        private Conn outbound;

        Relay(Conn outbound) {
            this.outbound = outbound;
        }
    }

    @Test
    void valuesFindsBufferFieldsOfSuperclassesAndSubtypes() {
        DecoderSniffer decoder = new DecoderSniffer();
        assertEquals(0, SnifferEvidence.values(decoder, Buf.class).length, "null fields are not values");
        Buf kept = new Buf("PRI");
        decoder.keep(kept);
        assertArrayEquals(new Object[] {kept}, SnifferEvidence.values(decoder, Buf.class),
                "the superclass's private field counts; static, JDK-typed and Object fields do not");

        HandSniffer hand = new HandSniffer(new Conn(), new Conn());
        Object[] values = SnifferEvidence.values(hand, Buf.class);
        assertEquals(1, values.length);
        assertSame(hand.buffered, values[0]);
        assertEquals(0, SnifferEvidence.values(new Relay(new Conn()), Buf.class).length);
    }

    @Test
    void refersToOtherIsTheMarkOfARelay() {
        Conn self = new Conn();
        Conn parent = new Conn();
        assertTrue(SnifferEvidence.refersToOther(new Relay(new Conn()), Conn.class, self, parent));
        assertFalse(SnifferEvidence.refersToOther(new Relay(null), Conn.class, self, parent),
                "no backend yet: nothing to relay to");
        assertFalse(SnifferEvidence.refersToOther(new HandSniffer(self, parent), Conn.class, self, parent),
                "its own connection and its listening socket are not another connection");
        assertFalse(SnifferEvidence.refersToOther(new DecoderSniffer(), Conn.class, self, parent));
    }

    @Test
    void canSeeComparesTheClassItself() throws Exception {
        assertTrue(SnifferEvidence.canSee(HandSniffer.class, Conn.class), "same loader");
        assertTrue(SnifferEvidence.canSee(HandSniffer.class, String.class), "parent delegation");
        URL here = SnifferEvidenceTest.class.getProtectionDomain().getCodeSource().getLocation();
        try (URLClassLoader isolated = new URLClassLoader(new URL[] {here}, null)) {
            Class<?> otherCopy = isolated.loadClass(Conn.class.getName());
            assertFalse(SnifferEvidence.canSee(HandSniffer.class, otherCopy),
                    "another loader's copy of the codec is not the codec the fix accounts for");
            Class<?> holderElsewhere = isolated.loadClass(HandSniffer.class.getName());
            assertFalse(SnifferEvidence.canSee(holderElsewhere, Conn.class));
            assertFalse(SnifferEvidence.canSee(String.class, Conn.class), "the boot loader cannot see app classes");
        }
    }

    @Test
    void onlyALiveWritableBufferWithTheWholePrefaceCouldHoldIt() {
        assertTrue(SnifferEvidence.couldHoldPreface(1, false, 24));
        assertTrue(SnifferEvidence.couldHoldPreface(2, false, 100));
        assertFalse(SnifferEvidence.couldHoldPreface(0, false, 24), "released");
        assertFalse(SnifferEvidence.couldHoldPreface(1, true, 24), "read-only: a constant a sniffer compares against");
        assertFalse(SnifferEvidence.couldHoldPreface(1, false, 23), "not the whole preface");
    }
}
