/**
 * Fixes for Jetty 12.0 and 12.1 ({@code org.eclipse.jetty.http2.server.internal.HttpStreamOverHTTP2} with
 * {@code send(MetaData.Request, MetaData.Response, boolean last, ByteBuffer, Callback)} — note the argument order,
 * unlike 10/11). The advised method, the {@code _stream} field and {@code isCommitted()} are the same in 12.0 and
 * 12.1 (checked on 12.0.39 and 12.1.14), so the same advice serves both.
 *
 * <p>Advice here is inlined into Jetty classes: it may use Jetty types and the {@code dev.h2patch.bootstrap} helpers,
 * nothing else of the agent, and never lambdas. Jetty objects reach the advice methods typed {@code Object} and are
 * cast inside: the advice signatures then name no Jetty type, so the agent (which bundles the advice of every Jetty
 * line and has none of them on its class path) can load and reflect on these classes; the casts run only where the
 * code is inlined, inside Jetty.
 */
package dev.h2patch.jetty12;
