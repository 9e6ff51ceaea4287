/**
 * The Netty test apps as one named module, so that Netty 4.2's own modules (io.netty.transport, io.netty.handler,
 * io.netty.codec.http2, ...) are named modules too: each reads only what its module-info requires. That is the
 * setting in which advice inlined into io.netty.transport or io.netty.handler and naming io.netty.codec.http2 types
 * fails unless the agent adds the read edges.
 */
module dev.h2patch.testapps.netty42 {
    requires io.netty.buffer;
    requires io.netty.common;
    requires io.netty.transport;
    requires io.netty.handler;
    requires io.netty.codec;
    requires io.netty.codec.http;
    requires io.netty.codec.http2;
}
