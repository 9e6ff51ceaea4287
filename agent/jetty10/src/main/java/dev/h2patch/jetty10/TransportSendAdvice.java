package dev.h2patch.jetty10;

import dev.h2patch.bootstrap.EndedStreams;
import dev.h2patch.bootstrap.H2patchRuntime;
import dev.h2patch.bootstrap.jetty.JettyEndStream;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import net.bytebuddy.asm.Advice;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.MetaData;
import org.eclipse.jetty.http2.HTTP2Stream;
import org.eclipse.jetty.http2.IStream;
import org.eclipse.jetty.util.Callback;

/**
 * Inlined into Jetty 10/11 {@code HttpTransportOverHTTP2.send(MetaData.Request request, MetaData.Response response,
 * ByteBuffer content, boolean lastContent, Callback callback)}, through which every response frame of a stream
 * leaves.
 *
 * <p><b>Commit</b> ({@code response != null}): when the response is committed with no content and
 * {@code lastContent == false}, and its headers carry {@code grpc-status} with a gRPC content type, the response is
 * complete by the gRPC protocol's own definition (Trailers-Only), so {@code lastContent} is set to true. Jetty then
 * takes its own path for an empty last write: one HEADERS with END_STREAM (with {@code content-length: 0}, as Jetty
 * sends for any response completed empty), or, if trailers were set, HEADERS then a trailers HEADERS with END_STREAM.
 * The stream is marked with the {@link EndedStreams#STREAM_ATTRIBUTE} attribute. Everything Jetty does on a send — the
 * commit flag, the response metadata, the {@code TransportCallback} state machine, frame generation and HPACK in the
 * flusher — is untouched: only the flag changes, before any of it runs.
 *
 * <p><b>Later writes</b> ({@code response == null}) on a marked stream — normally the empty
 * {@code send(request, null, EMPTY, true)} of the completion — are never written, so nothing follows END_STREAM on
 * the wire (RFC 9113 §5.1, "half-closed (local)"). Their callback is completed at once, exactly once, as
 * {@link EndedStreams#afterEnd} decides: an empty write succeeds (nothing is lost; the servlet's view stays
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
public final class TransportSendAdvice {

    private TransportSendAdvice() {
    }

    /** Returns true to skip the method: the write belongs to a stream this fix already ended. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter(@Advice.FieldValue("stream") Object streamField,
                           @Advice.FieldValue("commit") AtomicBoolean committed,
                           @Advice.Argument(0) Object requestArgument,
                           @Advice.Argument(1) Object responseArgument,
                           @Advice.Argument(2) ByteBuffer content,
                           @Advice.Argument(value = 3, readOnly = false) boolean lastContent,
                           @Advice.Argument(4) Object callback) {
        if (streamField == null) {
            return false;
        }
        IStream stream = (IStream) streamField;
        if (responseArgument == null) {
            // A later write; the mark is looked up only once the stream has ended (END_STREAM sent, or reset).
            Object outcome = JettyEndStream.laterWrite(stream.isClosed()
                    || stream instanceof HTTP2Stream && ((HTTP2Stream) stream).isLocallyClosed()
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
        if (!JettyEndStream.mayFold(lastContent, content, committed.get(), response.getStatus())) {
            return false;
        }
        HttpFields fields = response.getFields();
        if (fields != null && JettyEndStream.fold(((MetaData.Request) requestArgument).getMethod(),
                fields.get("grpc-status"), fields.get("content-type"))) {
            stream.setAttribute(EndedStreams.STREAM_ATTRIBUTE, Boolean.TRUE); // before the send: see fold
            lastContent = true;
        }
        return false;
    }
}
