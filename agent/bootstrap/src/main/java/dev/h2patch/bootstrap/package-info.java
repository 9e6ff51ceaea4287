/**
 * The few classes that inlined advice calls from inside the patched libraries.
 *
 * <p>They are injected into the bootstrap class loader before any fix is installed, so that advice inlined into a
 * library loaded by any class loader (a fat jar, a web app, a plugin loader) can reach them. For the same reason they
 * must never mention a library type (no Netty, no Jetty): those are not visible from the bootstrap loader. They
 * depend on nothing but {@code java.*}.
 */
package dev.h2patch.bootstrap;
