/**
 * Fixes for Jetty 9.4 ({@code org.eclipse.jetty.http2.server.HttpTransportOverHTTP2} with
 * {@code send(MetaData.Response, boolean isHeadRequest, ByteBuffer, boolean lastContent, Callback)}).
 *
 * <p>Advice here is inlined into Jetty classes: it may use Jetty types and the {@code dev.h2patch.bootstrap} helpers,
 * nothing else of the agent, and never lambdas. Jetty objects reach the advice methods typed {@code Object} and are
 * cast inside: the advice signatures then name no Jetty type, so the agent (which bundles the advice of every Jetty
 * line and has none of them on its class path) can load and reflect on these classes; the casts run only where the
 * code is inlined, inside Jetty.
 */
package dev.h2patch.jetty9;
