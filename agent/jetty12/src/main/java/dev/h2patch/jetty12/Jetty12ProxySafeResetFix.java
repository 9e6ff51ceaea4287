package dev.h2patch.jetty12;

import dev.h2patch.FixNames;
import dev.h2patch.TypePatch;
import dev.h2patch.jetty9.ProxySafeResetProcessAdvice;
import java.util.Collections;
import java.util.List;

/**
 * proxy-safe-reset for Jetty 12.0 and 12.1: a reset Jetty sends after a complete response must not make a client
 * behind a proxy lose that response (docs/fixes/proxy-safe-reset.md, "Jetty"; RFC 9113 §8.1).
 *
 * <p>{@code HttpStreamOverHTTP2} resets every stream whose request is still open when the response completes (an
 * early gRPC error on a client-streaming call): from {@code succeeded()}, or from {@code failed(Throwable)} when
 * {@code HttpChannelState} found request content left — NO_ERROR on 12.0.39 and 12.1.3, CANCEL on 12.1.14 (its
 * failure arrives wrapped); HAProxy 2.6 forwards either as CANCEL. 12.1.3 asks for it twice
 * (jetty/jetty.project#13470, fixed by #13814): the second ask reaches the same method and is dropped while the
 * first is held back ({@code JettyDeferredResets.isRepeat}; docs/libraries/jetty.md, proxy-safe-reset), so it needs no
 * hook of its own. All pieces advise {@code HTTP2Stream}: {@link ProxySafeResetAdvice} on
 * {@code reset(ResetFrame, Callback)} holds such a reset back (bounded by {@code reset-defer-ms},
 * {@code reset-defer-bytes} and a per-connection count) and sends it, if at all, as NO_ERROR;
 * {@link ProxySafeResetDataAdvice} on {@code process(Stream.Data)} counts the client's DATA and
 * {@link ProxySafeResetProcessAdvice} (agent/jetty9's, which every line shares) on {@code process(Frame, Callback)}
 * sees its trailers or reset.
 * {@code process(Stream.Data)} exists only in 12, so this fix never matches the same-named {@code HTTP2Stream} of
 * 9.4/10/11.
 */
public final class Jetty12ProxySafeResetFix extends Jetty12Fix {

    static final String STREAM = "org.eclipse.jetty.http2.HTTP2Stream";

    public Jetty12ProxySafeResetFix() {
        super("org.eclipse.jetty.http2", "jetty-http2-common");
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
                .advise(ProxySafeResetDataAdvice.class, "process", "org.eclipse.jetty.http2.api.Stream$Data"));
    }

    /** Held-back resets go out at detach, and the reset timer thread ends. */
    @Override
    public List<String> helpersToStopOnDetach() {
        return Collections.singletonList("dev.h2patch.bootstrap.jetty.JettyDeferredResets");
    }
}
