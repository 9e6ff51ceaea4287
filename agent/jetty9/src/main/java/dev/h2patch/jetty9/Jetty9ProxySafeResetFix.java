package dev.h2patch.jetty9;

import dev.h2patch.FixNames;
import dev.h2patch.TypePatch;
import java.util.Collections;
import java.util.List;

/**
 * proxy-safe-reset for Jetty 9.4: a reset Jetty sends after a complete response must not make a client behind a proxy
 * lose that response (docs/fixes/proxy-safe-reset.md, "Jetty"; RFC 9113 §8.1).
 *
 * <p>{@code HttpTransportOverHTTP2.onCompleted()} resets with CANCEL every stream whose request is still open when the
 * response completes (an early gRPC error on a client-streaming call); HAProxy 2.6 forwards any server reset as
 * CANCEL. Both pieces advise {@code HTTP2Stream}: {@link ProxySafeResetAdvice} on {@code reset(ResetFrame, Callback)}
 * holds such a reset back (bounded by {@code reset-defer-ms}, {@code reset-defer-bytes} and a per-connection count)
 * and sends it, if at all, as NO_ERROR; {@link ProxySafeResetProcessAdvice} on {@code process(Frame, Callback)} counts
 * the client's DATA and ends the deferral at its END_STREAM; {@link ProxySafeResetDataAdvice} on the private
 * {@code notifyData(Stream, DataFrame, Callback)} discards that DATA with its window returned. {@code notifyData}
 * exists only in 9.4, so this fix never matches the same-named {@code HTTP2Stream} of 10/11 or 12.
 */
public final class Jetty9ProxySafeResetFix extends Jetty9Fix {

    static final String STREAM = "org.eclipse.jetty.http2.HTTP2Stream";

    public Jetty9ProxySafeResetFix() {
        super("org.eclipse.jetty.http2", "http2-common");
    }

    @Override
    public String name() {
        return FixNames.PROXY_SAFE_RESET;
    }

    @Override
    public List<TypePatch> patches() {
        return Collections.singletonList(TypePatch.type(STREAM)
                .advise(ProxySafeResetAdvice.class, "reset",
                        "org.eclipse.jetty.http2.frames.ResetFrame", "org.eclipse.jetty.util.Callback")
                .advise(ProxySafeResetProcessAdvice.class, "process",
                        "org.eclipse.jetty.http2.frames.Frame", "org.eclipse.jetty.util.Callback")
                .advise(ProxySafeResetDataAdvice.class, "notifyData", "org.eclipse.jetty.http2.api.Stream",
                        "org.eclipse.jetty.http2.frames.DataFrame", "org.eclipse.jetty.util.Callback"));
    }

    /** Held-back resets go out at detach, and the reset timer thread ends. */
    @Override
    public List<String> helpersToStopOnDetach() {
        return Collections.singletonList("dev.h2patch.bootstrap.jetty.JettyDeferredResets");
    }
}
