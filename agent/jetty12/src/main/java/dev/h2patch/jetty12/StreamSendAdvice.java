package dev.h2patch.jetty12;

import dev.h2patch.bootstrap.EndedStreams;
import dev.h2patch.bootstrap.H2patchRuntime;
import dev.h2patch.bootstrap.jetty.JettyEndStream;
import java.nio.ByteBuffer;
import net.bytebuddy.asm.Advice;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.HTTP2Stream;
import org.eclipse.jetty.http2.server.internal.HttpStreamOverHTTP2;
import org.eclipse.jetty.util.Callback;

/**
 * Inlined into Jetty 12.0/12.1 {@code HttpStreamOverHTTP2.send(MetaData.Request request, MetaData.Response response,
 * boolean last, ByteBuffer byteBuffer, Callback callback)}, through which every response frame of a stream leaves.
 *
 * <p><b>Commit</b> ({@code response != null}): when the response is committed with no content and {@code last ==
 * false}, and its headers carry {@code grpc-status} with a gRPC content type, the response is complete by the gRPC
 * protocol's own definition (Trailers-Only), so {@code last} is set to true. Jetty then takes its own path for an
 * empty last write: one HEADERS with END_STREAM (the same header block: Jetty 12 adds no {@code content-length}
 * here), or, if a trailers supplier was set, HEADERS then a trailers HEADERS with END_STREAM. The stream is
 * marked with the {@link EndedStreams#STREAM_ATTRIBUTE} attribute. Everything Jetty does on a send — the committed
 * flag, the response metadata, the stream's one-write-at-a-time check, frame generation and HPACK in the flusher — is
 * untouched: only the flag changes, before any of it runs.
 *
 * <p><b>Later writes</b> ({@code response == null}) on a marked stream — normally the
 * {@code send(request, null, true, null, callback)} of the completion — are never written, so nothing follows END_STREAM on
 * the wire (RFC 9113 §5.1, "half-closed (local)"). Their callback is completed at once, exactly once, as
 * {@link EndedStreams#afterEnd} decides: an empty write succeeds (nothing is lost; the handler's view stays
 * "written"), a write with bytes fails with an exception naming h2patch and the stream, so the bytes are never lost
 * silently. The mark is only looked up when the stream is already locally closed or closed (an END_STREAM went out, or
 * it was reset), which a normal response's writes never see: plain responses pay two field reads here and allocate
 * nothing.
 *
 * <p>Unchanged: responses with content in the commit, responses committed as last, 1xx, HEAD and CONNECT (tunnels),
 * non-gRPC responses (their HEADERS + empty DATA(END_STREAM) is valid HTTP/2, and folding it would mean holding back
 * headers the application asked to flush), and everything in report mode ({@link H2patchRuntime#reportOnly}: counted
 * only).
 *
 * <p>What is decided here is decided by the shared helper {@code JettyEndStream}, for every Jetty line (unit-tested
 * there); this advice reads Jetty's objects and does what the answer names.
 */
public final class StreamSendAdvice {

    private StreamSendAdvice() {
    }

    /** Returns true to skip the method: the write belongs to a stream this fix already ended. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter(@Advice.This Object self,
                           @Advice.FieldValue("_stream") Object streamField,
                           @Advice.Argument(0) Object requestArgument,
                           @Advice.Argument(1) Object responseArgument,
                           @Advice.Argument(value = 2, readOnly = false) boolean last,
                           @Advice.Argument(3) ByteBuffer content,
                           @Advice.Argument(4) Object callback) {
        if (streamField == null) {
            return false;
        }
        HTTP2Stream stream = (HTTP2Stream) streamField;
        if (responseArgument == null) {
            // A later write; the mark is looked up only once the stream has ended (END_STREAM sent, or reset).
            Object outcome = JettyEndStream.laterWrite(stream.isClosed() || stream.isLocallyClosed()
                    ? stream.getAttribute(EndedStreams.STREAM_ATTRIBUTE) : null, stream.getId(), content);
            if (outcome == null) {
                return false; // the common path: a write on a stream that has not ended
            }
            try {
                if (outcome instanceof Throwable) {
                    ((Callback) callback).failed((Throwable) outcome);
                } else {
                    ((Callback) callback).succeeded();
                }
            } catch (Throwable ignored) {
                // The callback has been completed; what it threw is its own and must not complete it twice.
            }
            return true;
        }
        MetaData.Response response = (MetaData.Response) responseArgument;
        if (!JettyEndStream.mayFold(last, content, ((HttpStreamOverHTTP2) self).isCommitted(), response.getStatus())) {
            return false;
        }
        HttpFields fields = response.getHttpFields();
        if (fields != null && JettyEndStream.fold(((MetaData.Request) requestArgument).getMethod(),
                fields.get("grpc-status"), fields.get("content-type"))) {
            stream.setAttribute(EndedStreams.STREAM_ATTRIBUTE, Boolean.TRUE); // before the send: see fold
            last = true;
        }
        return false;
    }
}
