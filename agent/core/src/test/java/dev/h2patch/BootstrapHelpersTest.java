package dev.h2patch;

import dev.h2patch.bootstrap.H2patchRuntime;

/** agent/bootstrap keeps the helpers' rule (checked here because the bootstrap module has no Byte Buddy to read classes). */
class BootstrapHelpersTest extends BootstrapHelpersContract {

    @Override
    protected Class<?> anyHelperOfThisModule() {
        return H2patchRuntime.class;
    }
}
