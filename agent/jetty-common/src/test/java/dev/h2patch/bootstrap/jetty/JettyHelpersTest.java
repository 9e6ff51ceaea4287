package dev.h2patch.bootstrap.jetty;

import dev.h2patch.BootstrapHelpersContract;

/** The Jetty family's helpers keep the helpers' rule: java.* and dev.h2patch.bootstrap only, never a Jetty type. */
class JettyHelpersTest extends BootstrapHelpersContract {

    @Override
    protected Class<?> anyHelperOfThisModule() {
        return JettyDrain.class;
    }
}
