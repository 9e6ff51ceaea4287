package dev.h2patch.jetty10;

import dev.h2patch.FixModuleContract;

/** The Jetty10 module keeps the rules of every fix module, against the Jetty it is compiled against. */
class Jetty10FixesTest extends FixModuleContract {

    @Override
    protected int expectedFixCount() {
        return 3;
    }
}
