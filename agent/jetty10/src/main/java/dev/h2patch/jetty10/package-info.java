/**
 * Fixes for Jetty 10 and 11 ({@code org.eclipse.jetty.http2.server.HttpTransportOverHTTP2} with
 * {@code send(MetaData.Request, MetaData.Response, ByteBuffer, boolean lastContent, Callback)}). Jetty 11 is Jetty 10
 * with {@code jakarta.servlet}: its HTTP/2 server classes are the same code (checked on 10.0.26 and 11.0.26), so the
 * same advice serves both.
 *
 * <p>Advice here is inlined into Jetty classes: it may use Jetty types and the {@code dev.h2patch.bootstrap} helpers,
 * nothing else of the agent, and never lambdas. Jetty objects reach the advice methods typed {@code Object} and are
 * cast inside: the advice signatures then name no Jetty type, so the agent (which bundles the advice of every Jetty
 * line and has none of them on its class path) can load and reflect on these classes; the casts run only where the
 * code is inlined, inside Jetty.
 */
package dev.h2patch.jetty10;
