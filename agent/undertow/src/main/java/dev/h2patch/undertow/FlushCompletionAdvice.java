package dev.h2patch.undertow;

import dev.h2patch.bootstrap.undertow.UndertowProxySafeReset;
import io.undertow.protocols.http2.Http2DataStreamSinkChannel;
import net.bytebuddy.asm.Advice;
import org.xnio.ChannelListener;
import org.xnio.ChannelListeners;

/**
 * Inlined at the end of Undertow's {@code Http2DataStreamSinkChannel.flush()}, the flush of every HTTP/2 stream
 * Undertow writes (a server's responses; its HTTP/2 client's requests, whose listener the next flush would run too).
 * Undertow runs the stream's completion listener ({@code Connectors.terminateResponse}: the exchange's response
 * is complete) at the start of a flush, once the last frame has gone out; a flush that started just before the I/O
 * thread sent it returns true without running it, and the exchange's end then resets the stream with CANCEL after the
 * complete response ({@link UndertowProxySafeReset#completesResponse}). When the flush ends with the last frame out
 * and the listener not run, the advice runs it, as Undertow's next flush would have: once (the field is cleared
 * first), through Undertow's own {@code ChannelListeners.invokeChannelListener}. Every other flush pays two field
 * reads.
 */
public final class FlushCompletionAdvice {

    private FlushCompletionAdvice() {
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    @SuppressWarnings("unchecked")
    static void onExit(@Advice.This Object self,
                       @Advice.FieldValue("completionListenerReady") boolean finalFrameSent,
                       @Advice.FieldValue(value = "completionListener", readOnly = false) ChannelListener<?> listener) {
        if (UndertowProxySafeReset.completesResponse(finalFrameSent, listener != null)) {
            ChannelListener<Http2DataStreamSinkChannel> completion =
                    (ChannelListener<Http2DataStreamSinkChannel>) listener;
            listener = null;
            ChannelListeners.invokeChannelListener((Http2DataStreamSinkChannel) self, completion);
        }
    }
}
