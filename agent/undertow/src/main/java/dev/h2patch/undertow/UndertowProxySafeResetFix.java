package dev.h2patch.undertow;

import dev.h2patch.FixNames;
import dev.h2patch.TypePatch;
import dev.h2patch.bootstrap.undertow.UndertowProxySafeReset;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * proxy-safe-reset for Undertow 2.2, 2.3 and 2.4 (docs/fixes/proxy-safe-reset.md, "Undertow"): a complete response
 * goes out when it is complete, whatever the request body is doing; then the client may end its request within
 * {@code reset-defer-ms}/{@code reset-defer-bytes} with no reset, and past them the stream is reset with NO_ERROR.
 * {@link BlockingExchangeCloseAdvice} on {@code HttpServerExchange$DefaultBlockingHttpExchange.close()} (native
 * handlers), which drained the request before it closed the response; {@link ServletExchangeCloseAdvice} on
 * undertow-servlet's {@code ServletBlockingHttpExchange.close()}, which reads the request to its end with no bound
 * after the servlet's answer went out; and {@link ContinueResetAdvice} on
 * {@code Http2ServerConnection.terminateRequestChannel}, whose RST_STREAM(CANCEL) for an unanswered
 * {@code Expect: 100-continue} is then held back in the same way. {@link FlushCompletionAdvice} on
 * {@code Http2DataStreamSinkChannel.flush()} marks a response complete when its last frame went out during the flush
 * that found it so, which Undertow misses in a race and then resets the finished stream with CANCEL.
 */
public final class UndertowProxySafeResetFix extends UndertowFix {

    @Override
    public String name() {
        return FixNames.PROXY_SAFE_RESET;
    }

    @Override
    public List<String> helpersToStopOnDetach() {
        return Collections.singletonList("dev.h2patch.bootstrap.undertow.UndertowProxySafeReset");
    }

    @Override
    public List<TypePatch> patches() {
        return Arrays.asList(
                TypePatch.type("io.undertow.server.HttpServerExchange$DefaultBlockingHttpExchange")
                        .advise(BlockingExchangeCloseAdvice.class, "close"),
                TypePatch.optionalType(UndertowProxySafeReset.SERVLET_BLOCKING_EXCHANGE)
                        .advise(ServletExchangeCloseAdvice.class, "close"),
                TypePatch.type("io.undertow.server.protocol.http2.Http2ServerConnection")
                        .advise(ContinueResetAdvice.class, "terminateRequestChannel",
                                "io.undertow.server.HttpServerExchange"),
                TypePatch.type("io.undertow.protocols.http2.Http2DataStreamSinkChannel")
                        .advise(FlushCompletionAdvice.class, "flush"));
    }
}
