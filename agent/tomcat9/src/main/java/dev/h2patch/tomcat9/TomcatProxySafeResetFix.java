package dev.h2patch.tomcat9;

import dev.h2patch.FixNames;
import dev.h2patch.TypePatch;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * proxy-safe-reset for Tomcat 9.0, 10.1 and 11.0: a reset Tomcat sends after a complete response must not make a
 * client behind a proxy lose that response (docs/fixes/proxy-safe-reset.md, "Tomcat"; RFC 9113 §8.1).
 *
 * <p>Tomcat's {@code StreamProcessor.process} resets every stream whose request body is still open when the servlet
 * has completed its response (an early gRPC error on a client-streaming call): {@code RST_STREAM(CANCEL)} up to
 * 9.0.70 and 10.1.4, {@code RST_STREAM(NO_ERROR)} from 9.0.71 and 10.1.5; HAProxy 2.6 turns either into a CANCEL or a
 * lost response. {@link StreamCloseAdvice} on {@code Stream.close(Http2Exception)} holds such a reset back (bounded by
 * {@code reset-defer-ms}, {@code reset-defer-bytes} and a per-connection count) and sends it, if at all, as NO_ERROR;
 * {@link StreamEndAdvice} ({@code Stream.receivedEndOfStream()}) and {@link StreamResetReceivedAdvice}
 * ({@code Stream.receiveReset(long)}) end the deferral without a frame; {@link RequestDataAdvice}
 * ({@code Http2UpgradeHandler.startRequestBodyFrame}) counts the client's DATA and, with {@link OverheadCountAdvice}
 * ({@code updateOverheadCount(FrameType, int)}), keeps a held stream's DATA frames out of Tomcat's overhead count,
 * so a client streaming small messages keeps its connection while the reset is held; {@link SwallowedDataAdvice}
 * ({@code onSwallowedDataFramePayload}) with {@link StreamCanWriteAdvice} ({@code Stream.canWrite()}) returns a held
 * stream's window for the DATA Tomcat discards, so an upload is not stopped at the stream window.
 */
public final class TomcatProxySafeResetFix extends TomcatFix {

    static final String STREAM = "org.apache.coyote.http2.Stream";
    static final String HANDLER = "org.apache.coyote.http2.Http2UpgradeHandler";

    @Override
    public String name() {
        return FixNames.PROXY_SAFE_RESET;
    }

    @Override
    public List<TypePatch> patches() {
        return Arrays.asList(
                TypePatch.type(STREAM)
                        .advise(StreamCloseAdvice.class, "close", "org.apache.coyote.http2.Http2Exception")
                        .advise(StreamEndAdvice.class, "receivedEndOfStream")
                        .advise(StreamResetReceivedAdvice.class, "receiveReset", "long")
                        .advise(StreamCanWriteAdvice.class, "canWrite"),
                TypePatch.type(HANDLER)
                        .advise(RequestDataAdvice.class, "startRequestBodyFrame", "int", "int", "boolean")
                        .advise(OverheadCountAdvice.class, "updateOverheadCount",
                                "org.apache.coyote.http2.FrameType", "int")
                        .advise(SwallowedDataAdvice.class, "onSwallowedDataFramePayload", "int", "int"));
    }

    /** Held-back resets go out at detach (NO_ERROR), and the reset timer thread ends. */
    @Override
    public List<String> helpersToStopOnDetach() {
        return Collections.singletonList("dev.h2patch.bootstrap.tomcat.TomcatDeferredResets");
    }
}
