package dev.h2patch.tomcat9;

import dev.h2patch.bootstrap.tomcat.TomcatEndStream;
import java.util.Map;
import java.util.function.Supplier;
import net.bytebuddy.asm.Advice;
import org.apache.coyote.Request;
import org.apache.coyote.Response;
import org.apache.tomcat.util.http.MimeHeaders;

/**
 * Inlined into Tomcat's {@code org.apache.coyote.http2.StreamProcessor.finishResponse()} ({@code protected final
 * void}, the same on 9.0, 10.1 and 11.0), which Tomcat calls once the response is committed (its HEADERS written) and
 * before the stream's output buffer ends: the end is still to be written.
 *
 * <p>A response whose headers carry {@code grpc-status} (the one header looked up for every response; others pay
 * nothing more) is described to {@link TomcatEndStream#repeatStatus}, which decides for every Tomcat line (unit-tested
 * there): a committed gRPC Trailers-Only answer without trailers of its own gets trailer fields repeating its status,
 * set with {@code Response.setTrailerFields} before {@code end()} reads them. Tomcat then writes the empty DATA without
 * END_STREAM and the trailers as HEADERS(END_STREAM). In report mode nothing is set (counted only).
 *
 * <p>The processor's {@code request} and {@code response} are fields of its public superclass
 * {@code org.apache.coyote.AbstractProcessor}; they reach the advice typed {@code Object} and are cast inside, so the
 * advice's signature names no Tomcat type.
 */
public final class FinishResponseAdvice {

    private FinishResponseAdvice() {
    }

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void onEnter(@Advice.FieldValue("request") Object requestField,
                        @Advice.FieldValue("response") Object responseField) {
        Response response = (Response) responseField;
        MimeHeaders headers = response.getMimeHeaders();
        String grpcStatus = headers.getHeader("grpc-status");
        if (grpcStatus == null) {
            return; // not the end of a gRPC response: the common path
        }
        Supplier<Map<String, String>> trailers = TomcatEndStream.repeatStatus(response.isCommitted(),
                response.getTrailerFields() != null, response.getStatus(), ((Request) requestField).method().toString(),
                response.getContentWritten(), response.getContentType(), grpcStatus, headers.getHeader("grpc-message"),
                headers.getHeader("grpc-status-details-bin"));
        if (trailers != null) {
            response.setTrailerFields(trailers);
        }
    }
}
