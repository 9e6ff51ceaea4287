package org.eclipse.jetty.http2.server;

/** A stand-in with the name of Jetty's HTTP/2 server factory base class, for JettyEarlySettingsTest (by name only). */
public abstract class AbstractHTTP2ServerConnectionFactory {
}
