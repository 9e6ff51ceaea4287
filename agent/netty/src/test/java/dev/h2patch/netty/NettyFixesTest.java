package dev.h2patch.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.h2patch.Fix;
import dev.h2patch.FixModuleContract;
import dev.h2patch.Relocation;
import io.netty.util.Version;
import java.net.URL;
import java.net.URLClassLoader;
import org.junit.jupiter.api.Test;

/** The Netty module keeps the rules of every fix module, against the Netty 4.1 it is compiled against. */
class NettyFixesTest extends FixModuleContract {

    @Override
    protected int expectedFixCount() {
        return 5;
    }

    /** The preface-flush part is written for releases that still have sendPreface; 4.1.140 flushes by itself. */
    @Override
    protected boolean fitsCompiledAgainstLibrary(Fix fix) {
        return !(fix instanceof NettyPrefaceFlushFix);
    }

    /** The version in the log line is the codec's own, as Netty lists it for the class loader that has it. */
    @Test
    void theVersionIsTheCodecsAsNettyListsIt() {
        ClassLoader loader = NettyFixesTest.class.getClassLoader();
        String expected = Version.identify(loader).get("netty-codec-http2").artifactVersion();
        assertEquals(expected, NettyFixes.version(loader, Relocation.NONE));
        assertEquals(expected, new NettyEndStreamFix().libraryVersion(loader, Relocation.NONE));
    }

    @Test
    void noVersionWhereTheLoaderHasNone() {
        ClassLoader empty = new URLClassLoader(new URL[0], null);
        assertNull(NettyFixes.version(empty, NettyFixes.GRPC_SHADED), "no grpc-netty-shaded here");
    }
}
