package dev.h2patch.bootstrap.tomcat;

import dev.h2patch.BootstrapHelpersContract;

/** The Tomcat family's helpers keep the helpers' rule: java.* and dev.h2patch.bootstrap only, never a Tomcat type. */
class TomcatHelpersTest extends BootstrapHelpersContract {

    @Override
    protected Class<?> anyHelperOfThisModule() {
        return TomcatEndStream.class;
    }
}
