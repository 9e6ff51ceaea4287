package dev.h2patch.netty;

import dev.h2patch.Fix;
import dev.h2patch.FixModuleContract;

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
}
