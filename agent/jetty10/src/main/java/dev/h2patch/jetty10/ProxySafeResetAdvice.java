package dev.h2patch.jetty10;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.EndedStreams;
import dev.h2patch.bootstrap.H2patchRuntime;
import dev.h2patch.bootstrap.jetty.JettyDeferredResets;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.implementation.bytecode.assign.Assigner;
import org.eclipse.jetty.http2.HTTP2Stream;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.frames.ResetFrame;
import org.eclipse.jetty.util.Callback;

/**
 * Inlined into Jetty 10 and 11 {@code HTTP2Stream.reset(ResetFrame frame, Callback callback)}, which every reset of a
 * stream reaches — in particular {@code HttpTransportOverHTTP2.onCompleted()}'s {@code reset(CANCEL)} of a stream
 * whose response is complete while the client is still sending its request.
 *
 * <p>It acts only on a stream that is <b>locally closed</b> (Jetty sets that state after the frame carrying the
 * response's END_STREAM was written, so the response is complete and a reset now cannot overtake it); abort paths
 * (incomplete response) are not locally closed and pass unchanged, and so do the codes for the client's own protocol
 * violations. Then:
 * <ul>
 *   <li>the reset is <b>held back</b>: the stream gets Jetty's {@code Stream.Listener.Adapter}, whose
 *       {@code onDataDemanded} succeeds each DATA callback and demands the next (one demand is added at once) (Jetty returns the flow-control window), the stream is marked
 *       with a {@code JettyDeferredResets} deferral, the reset's callback is succeeded (exactly once) and nothing is
 *       written. The client's END_STREAM then closes the stream the normal Jetty way: no reset at all;</li>
 *   <li>when it cannot be held (the connection's limit, timer refused) it is sent at once with <b>NO_ERROR</b>;</li>
 *   <li>a held-back reset sent at its bound (time: by the deferral's timer; bytes: by
 *       {@link ProxySafeResetProcessAdvice}), or asked for again meanwhile, goes through here as NO_ERROR; on a stream
 *       that closed meanwhile it is dropped (its callback succeeded).</li>
 * </ul>
 * Report mode counts {@code proxy-safe-reset.would-change} and changes nothing.
 */
public final class ProxySafeResetAdvice {

    private ProxySafeResetAdvice() {
    }

    /** Returns true to skip the method: the reset is held back (or dropped), its callback already succeeded. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter(@Advice.This Object self,
                           @Advice.Argument(value = 0, readOnly = false, typing = Assigner.Typing.DYNAMIC)
                           Object frameArgument,
                           @Advice.Argument(1) Object callback) {
        HTTP2Stream stream = (HTTP2Stream) self;
        if (!stream.isLocallyClosed()) {
            // The common path (an abort): one volatile read. A deferral firing for a stream closed meanwhile is
            // dropped here, so no reset is ever sent for a stream that ended normally.
            if (JettyDeferredResets.anyDeferred() || stream.isClosed()) {
                Object mark = stream.getAttribute(JettyDeferredResets.STREAM_ATTRIBUTE);
                if (mark != null && stream.isClosed() && JettyDeferredResets.isFiring(mark)
                        || EndedStreams.dropResetOfClosed(stream.isClosed(),
                                stream.getAttribute(EndedStreams.STREAM_ATTRIBUTE))) {
                    // (Or: Jetty aborting a stream the end-stream fix ended, after a late write failed.)
                    try {
                        ((Callback) callback).succeeded();
                    } catch (Throwable ignored) {
                        // Completed once; what it threw is its own.
                    }
                    return true;
                }
            }
            return false;
        }
        ResetFrame frame = (ResetFrame) frameArgument;
        int code = frame.getError();
        Object mark = stream.getAttribute(JettyDeferredResets.STREAM_ATTRIBUTE);
        if (mark != null) {
            // Fired at a bound, or another reset (idle timeout, shutdown) while held back: it goes out now, NO_ERROR.
            JettyDeferredResets.fireNow(mark);
            if (code != 0) {
                frameArgument = new ResetFrame(stream.getId(), 0);
            }
            return false;
        }
        if (code == 1 || code == 3 || code == 5 || code == 6) {
            return false; // PROTOCOL_ERROR, FLOW_CONTROL_ERROR, STREAM_CLOSED, FRAME_SIZE_ERROR: the client's fault
        }
        if (H2patchRuntime.reportOnly) {
            Counters.increment(Counters.PROXY_SAFE_RESET_WOULD_CHANGE);
            return false;
        }
        ResetFrame noError = code == 0 ? frame : new ResetFrame(stream.getId(), 0);
        Object deferral = JettyDeferredResets.reserve(stream.getSession(), stream, noError, Callback.NOOP);
        if (deferral == null) {
            if (code != 0) {
                frameArgument = noError;
                Counters.increment(Counters.PROXY_SAFE_RESET_REWRITTEN);
            }
            return false;
        }
        stream.setAttribute(JettyDeferredResets.STREAM_ATTRIBUTE, deferral);
        // Request DATA from now on: callback succeeded (window returned), content dropped; END_STREAM closes it.
        stream.setListener((Stream.Listener) (Object) new Stream.Listener.Adapter()); // cast: no verifier load
        // 10/11 deliver DATA on demand only, and the recycled channel no longer demands: keep it flowing.
        stream.demand(1);
        if (!JettyDeferredResets.schedule(deferral, H2patchRuntime.resetDeferMillis)) {
            if (code != 0) {
                frameArgument = noError;
                Counters.increment(Counters.PROXY_SAFE_RESET_REWRITTEN);
            }
            return false;
        }
        Counters.increment(Counters.PROXY_SAFE_RESET_DEFERRED);
        try {
            ((Callback) callback).succeeded();
        } catch (Throwable ignored) {
            // Completed once; what it threw is its own and must not complete it twice.
        }
        return true;
    }
}
