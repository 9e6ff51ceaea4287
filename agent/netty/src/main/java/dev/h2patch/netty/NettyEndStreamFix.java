package dev.h2patch.netty;

import static dev.h2patch.netty.NettyFixes.BYTE_BUF;
import static dev.h2patch.netty.NettyFixes.CONTEXT;
import static dev.h2patch.netty.NettyFixes.HEADERS;
import static dev.h2patch.netty.NettyFixes.HTTP2;
import static dev.h2patch.netty.NettyFixes.PROMISE;

import dev.h2patch.FixNames;
import dev.h2patch.TypePatch;
import java.util.Arrays;
import java.util.List;

/**
 * end-stream for Netty: a response must not end with HEADERS followed by an empty DATA(END_STREAM).
 *
 * <p>grpc-go fails such a gRPC Trailers-Only answer with "server closed the stream without sending trailers"
 * (golang/go#56317, nghttp2/nghttp2#588). Three pieces:
 * <ul>
 *   <li>{@link EncoderWriteHeadersAdvice}: a response HEADERS carrying {@code grpc-status} is the end of a gRPC
 *       response by definition, so it is sent with END_STREAM at once;</li>
 *   <li>{@link EncoderWriteDataAdvice}: whatever the application writes on that stream afterwards (normally the
 *       empty DATA(END_STREAM) it meant to end with) is dropped safely;</li>
 *   <li>{@link FrameWriterWriteDataAdvice}: for any content type, an empty DATA(END_STREAM) written right behind its
 *       stream's HEADERS, before they were flushed, becomes the END_STREAM flag of those HEADERS.</li>
 * </ul>
 */
public final class NettyEndStreamFix extends NettyFix {

    @Override
    public String name() {
        return FixNames.END_STREAM;
    }

    @Override
    public List<TypePatch> patches() {
        return Arrays.asList(
                TypePatch.type(HTTP2 + "DefaultHttp2ConnectionEncoder")
                        // Both public writeHeaders overloads end up in this private method.
                        .advise(EncoderWriteHeadersAdvice.class, "writeHeaders0",
                                CONTEXT, "int", HEADERS, "boolean", "int", "short", "boolean", "int", "boolean",
                                PROMISE)
                        .advise(EncoderWriteDataAdvice.class, "writeData",
                                CONTEXT, "int", BYTE_BUF, "int", "boolean", PROMISE),
                TypePatch.type(HTTP2 + "DefaultHttp2FrameWriter")
                        .advise(FrameWriterWriteDataAdvice.class, "writeData",
                                CONTEXT, "int", BYTE_BUF, "int", "boolean", PROMISE));
    }
}
