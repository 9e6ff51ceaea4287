package dev.h2patch.netty;

import static dev.h2patch.netty.NettyFixes.BYTE_BUF;
import static dev.h2patch.netty.NettyFixes.CONTEXT;
import static dev.h2patch.netty.NettyFixes.HTTP2;
import static dev.h2patch.netty.NettyFixes.PROMISE;

import dev.h2patch.FixNames;
import dev.h2patch.TypePatch;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * proxy-safe-reset for Netty: a reset a server sends after its response is complete must not make a client behind a
 * proxy lose that response (RFC 9113 §8.1; docs/fixes/proxy-safe-reset.md).
 *
 * <p>Netty's per-stream child channels send RST_STREAM(CANCEL) right after the final HEADERS when they close before
 * the client's END_STREAM (an early gRPC error on a client-streaming call); HAProxy 2.6 forwards any server reset as
 * CANCEL, whatever its code, and gRPC clients report CANCELLED. Two pieces:
 * <ul>
 *   <li>{@link ResetStreamAdvice}: such a reset is held back, bounded in time ({@code reset-defer-ms}) and bytes
 *       ({@code reset-defer-bytes}), and at most {@code DeferredResets.MAX_PER_CONNECTION} per connection; sent at
 *       the bound, or at once when it cannot be held, always as NO_ERROR;</li>
 *   <li>{@link FrameCodecDataAdvice}: request DATA for a held-back stream is discarded with its window returned, and
 *       the client's END_STREAM closes the stream without any reset.</li>
 * </ul>
 */
public final class NettyProxySafeResetFix extends NettyFix {

    @Override
    public String name() {
        return FixNames.PROXY_SAFE_RESET;
    }

    @Override
    public List<TypePatch> patches() {
        return Arrays.asList(
                TypePatch.type(HTTP2 + "Http2ConnectionHandler")
                        .advise(ResetStreamAdvice.class, "resetStream", CONTEXT, "int", "long", PROMISE),
                TypePatch.type(HTTP2 + "Http2FrameCodec$FrameListener")
                        .advise(FrameCodecDataAdvice.class, "onDataRead",
                                CONTEXT, "int", BYTE_BUF, "int", "boolean"));
    }

    /** Held-back resets go out at detach, and the reset timer thread ends. */
    @Override
    public List<String> helpersToStopOnDetach() {
        return Collections.singletonList("dev.h2patch.bootstrap.DeferredResets");
    }
}
