package dev.h2patch.jetty9;

import dev.h2patch.FixModuleContract;

/** The Jetty9 module keeps the rules of every fix module, against the Jetty it is compiled against. */
class Jetty9FixesTest extends FixModuleContract {

    @Override
    protected int expectedFixCount() {
        return 4;
    }
}
