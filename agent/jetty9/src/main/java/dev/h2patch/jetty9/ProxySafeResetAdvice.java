package dev.h2patch.jetty9;

import dev.h2patch.bootstrap.EndedStreams;
import dev.h2patch.bootstrap.jetty.JettyDeferredResets;
import dev.h2patch.bootstrap.jetty.JettyProxySafeReset;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.implementation.bytecode.assign.Assigner;
import org.eclipse.jetty.http2.HTTP2Stream;
import org.eclipse.jetty.http2.api.Stream;
import org.eclipse.jetty.http2.frames.ResetFrame;
import org.eclipse.jetty.util.Callback;

/**
 * Inlined into Jetty 9.4 {@code HTTP2Stream.reset(ResetFrame frame, Callback callback)}, which every reset of a
 * stream reaches — in particular {@code HttpTransportOverHTTP2.onCompleted()}'s {@code reset(CANCEL)} of a stream
 * whose response is complete while the client is still sending its request.
 *
 * <p>It acts only on a stream that is <b>locally closed</b> (Jetty sets that state after the frame carrying the
 * response's END_STREAM was written, so the response is complete and a reset now cannot overtake it); abort paths
 * (incomplete response) are not locally closed and pass unchanged, and so do the codes for the client's own protocol
 * violations. Then:
 * <ul>
 *   <li>the reset is <b>held back</b>: the stream gets Jetty's {@code Stream.Listener.Adapter}, whose
 *       {@code onData} succeeds each DATA callback (Jetty returns the flow-control window), the stream is marked
 *       with a {@code JettyDeferredResets} deferral, the reset's callback is succeeded (exactly once) and nothing is
 *       written. The client's END_STREAM then closes the stream the normal Jetty way: no reset at all;</li>
 *   <li>when it cannot be held (the connection's limit, timer refused) it is sent at once with <b>NO_ERROR</b>;</li>
 *   <li>a held-back reset sent at its bound (time: by the deferral's timer; bytes: by
 *       {@link ProxySafeResetProcessAdvice}), or another reset asked for meanwhile, goes through
 *       here as NO_ERROR; the same reset asked again (same code) is dropped and the first stays held back; on a stream
 *       that closed meanwhile it is dropped (its callback succeeded).</li>
 * </ul>
 * Report mode counts {@code proxy-safe-reset.would-change} and changes nothing.
 *
 * <p>What is decided here is decided by the shared helper {@code JettyProxySafeReset.onReset} and {@code hold}, for
 * every Jetty line (unit-tested there); this advice reads Jetty's objects and does what the answer names.
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
        boolean complete = stream.isLocallyClosed();
        boolean closed = stream.isClosed();
        if (!JettyProxySafeReset.concerns(complete, closed)) {
            return false; // the common path (an abort while nothing is held back): one volatile read
        }
        int code = ((ResetFrame) frameArgument).getError();
        int action = JettyProxySafeReset.onReset(complete, closed, code,
                stream.getAttribute(JettyDeferredResets.STREAM_ATTRIBUTE),
                stream.getAttribute(EndedStreams.STREAM_ATTRIBUTE));
        if (action == JettyProxySafeReset.DEFER) {
            Object deferral = JettyDeferredResets.reserve(stream.getSession(), stream,
                    code == 0 ? frameArgument : new ResetFrame(stream.getId(), 0), Callback.NOOP);
            if (deferral != null) {
                stream.setAttribute(JettyDeferredResets.STREAM_ATTRIBUTE, deferral);
                // Request DATA from now on: callback succeeded (window returned), content dropped; END_STREAM
                // closes it.
                stream.setListener((Stream.Listener) (Object) new Stream.Listener.Adapter()); // cast: no verifier load
            }
            action = JettyProxySafeReset.hold(deferral, code);
        }
        if (action == JettyProxySafeReset.NO_ERROR) {
            frameArgument = new ResetFrame(stream.getId(), 0);
        } else if (action == JettyProxySafeReset.SKIP) {
            try {
                ((Callback) callback).succeeded();
            } catch (Throwable ignored) {
                // Completed once; what it threw is its own and must not complete it twice.
            }
            return true;
        }
        return false;
    }
}
