/**
 * The Jetty 12 test apps as one named module, so that Jetty's jars (org.eclipse.jetty.server,
 * org.eclipse.jetty.http2.server, org.eclipse.jetty.http2.common, ...) are named modules too, each reading only what
 * its module-info requires.
 */
module dev.h2patch.testapps.jetty12 {
    requires org.eclipse.jetty.http2.server;
    requires org.eclipse.jetty.alpn.server;
}
