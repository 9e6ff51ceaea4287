package dev.h2patch.it.harness;

import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A real peer a test needs (HAProxy, Node, h2load, the grpc-go client). On a developer's machine a missing peer skips
 * the check that needs it, with the reason; where {@code .ci/run} installs every peer it sets
 * {@value #REQUIRE_ENV}{@code =1}, and there a missing peer fails the test: a check that silently did not run must
 * never look like a pass.
 */
public final class RequiredPeer {
    public static final String REQUIRE_ENV = "IT_REQUIRE_PEERS";

    private RequiredPeer() {}

    public static boolean required() {
        return "1".equals(System.getenv(REQUIRE_ENV)) || "true".equals(System.getProperty("h2patch.it.requirePeers"));
    }

    /** Skips (or, where peers are required, fails) the calling test when {@code present} is false. */
    public static void require(boolean present, String missingReason) {
        if (present) {
            return;
        }
        if (required()) {
            fail(missingReason + " (" + REQUIRE_ENV + "=1: every peer must be installed here)");
        }
        assumeTrue(false, missingReason);
    }
}
