package dev.h2patch.undertow;

import dev.h2patch.FixModuleContract;

/** The Undertow module keeps the rules of every fix module, against the Undertow it is compiled against (2.2). */
class UndertowFixesTest extends FixModuleContract {

    @Override
    protected int expectedFixCount() {
        return 4;
    }
}
