package dev.h2patch.netty;

import dev.h2patch.LibraryVersions;
import dev.h2patch.Relocation;
import java.util.Collections;
import java.util.List;

/** What every Netty fix shares: the type names it uses, the grpc-java relocation, the version lookup. */
final class NettyFixes {

    /** grpc-java's grpc-netty-shaded carries its own Netty under this package. */
    static final Relocation GRPC_SHADED =
            Relocation.of("io.netty.", "io.grpc.netty.shaded.io.netty.", "grpc-netty-shaded");

    static final List<Relocation> RELOCATIONS = Collections.singletonList(GRPC_SHADED);

    static final String LIBRARY = "Netty 4.1/4.2";

    static final String CONTEXT = "io.netty.channel.ChannelHandlerContext";
    static final String PROMISE = "io.netty.channel.ChannelPromise";
    static final String BYTE_BUF = "io.netty.buffer.ByteBuf";
    static final String HTTP2 = "io.netty.handler.codec.http2.";
    static final String HEADERS = HTTP2 + "Http2Headers";

    private NettyFixes() {
    }

    /**
     * The codec's version: Netty jars list it in {@code META-INF/io.netty.versions.properties}; grpc-netty-shaded
     * drops that file, so for it the grpc-java version is given instead.
     */
    static String version(ClassLoader loader, Relocation relocation) {
        if (relocation.isNone()) {
            return LibraryVersions.property(loader, "META-INF/io.netty.versions.properties",
                    "netty-codec-http2.version");
        }
        String grpc = LibraryVersions.mavenVersion(loader, "io.grpc", "grpc-netty-shaded");
        return grpc == null ? null : "grpc-netty-shaded " + grpc;
    }
}
