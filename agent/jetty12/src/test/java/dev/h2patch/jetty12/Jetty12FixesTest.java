package dev.h2patch.jetty12;

import dev.h2patch.FixModuleContract;

/** The Jetty12 module keeps the rules of every fix module, against the Jetty it is compiled against. */
class Jetty12FixesTest extends FixModuleContract {

    @Override
    protected int expectedFixCount() {
        return 3;
    }
}
