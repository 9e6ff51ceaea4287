/**
 * Fixes for Tomcat 9.0, 10.1 and 11.0 (embedded or standalone; the coyote HTTP/2 implementation,
 * {@code org.apache.coyote.http2}, with an NIO or NIO2 connector and {@code Http2Protocol} as its upgrade protocol).
 * The classes patched take no servlet type, so the javax (9.0) and jakarta (10.1, 11.0) lines share this module.
 *
 * <p>Advice here is inlined into Tomcat classes: it may use Tomcat's public types and the {@code dev.h2patch.bootstrap}
 * helpers, nothing else of the agent, and never lambdas. Tomcat objects reach the advice methods typed {@code Object}
 * and are cast inside, so the agent can load and reflect on these classes without Tomcat on its class path.
 * {@code Http2UpgradeHandler} is package-private, so the public {@code Http2AsyncUpgradeHandler} carries visibility
 * bridges for its public methods; the installer never advises bridge methods.
 */
package dev.h2patch.tomcat9;
