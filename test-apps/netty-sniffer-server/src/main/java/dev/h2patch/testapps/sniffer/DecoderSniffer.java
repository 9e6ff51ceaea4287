package dev.h2patch.testapps.sniffer;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;

import java.util.List;

/**
 * The same port sniffer as {@link Sniffer}, written as a {@link ByteToMessageDecoder} (Netty's port-unification
 * example's shape): the received bytes accumulate in the decoder's own cumulation buffer, undecided, until the
 * client's first HEADERS has arrived; then it installs the codec and removes itself, which passes every byte on. Selected
 * with {@code --decoder}.
 */
final class DecoderSniffer extends ByteToMessageDecoder {
    private final long headerTableSize;

    DecoderSniffer(long headerTableSize) {
        this.headerTableSize = headerTableSize;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
        String route = Sniffer.route(in);
        if (route == null) {
            return; // keep accumulating: nothing consumed, nothing passed on
        }
        System.err.println("sniffer (decoder): " + ctx.channel().remoteAddress() + " -> " + route);
        Sniffer.install(ctx, route, Sniffer.codec(headerTableSize));
        // As Netty's PortUnificationServerHandler example: on removal the decoder passes its cumulation on.
        ctx.pipeline().remove(this);
    }
}
