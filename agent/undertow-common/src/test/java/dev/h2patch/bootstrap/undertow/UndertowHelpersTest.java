package dev.h2patch.bootstrap.undertow;

import dev.h2patch.BootstrapHelpersContract;

/** The Undertow helpers keep the helpers' rule: java.* and dev.h2patch.bootstrap only, never an Undertow type. */
class UndertowHelpersTest extends BootstrapHelpersContract {

    @Override
    protected Class<?> anyHelperOfThisModule() {
        return UndertowEndStream.class;
    }
}
