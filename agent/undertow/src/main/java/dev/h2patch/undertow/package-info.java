/**
 * Fixes for Undertow 2.2, 2.3 and 2.4 ({@code io.undertow:undertow-core}): one module for the three lines, whose
 * advised methods and fields have the same signatures (javap on 2.2.41.Final, 2.3.27.Final, 2.4.4.Final). Compiled
 * against 2.2.41.
 *
 * <p>Advice here is inlined into Undertow classes: it may use Undertow types and the {@code dev.h2patch.bootstrap}
 * helpers (with {@code dev.h2patch.bootstrap.undertow}, agent/undertow-common), nothing else of the agent, and never
 * lambdas. Undertow objects reach the advice methods typed {@code Object} and are cast inside, so the advice
 * signatures name no Undertow type and the agent, which has no Undertow on its class path, can load and reflect on
 * these classes; the casts run only where the code is inlined, inside Undertow.
 */
package dev.h2patch.undertow;
