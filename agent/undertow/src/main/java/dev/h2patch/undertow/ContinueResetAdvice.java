package dev.h2patch.undertow;

import dev.h2patch.bootstrap.undertow.UndertowProxySafeReset;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http.HttpContinue;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into Undertow's {@code Http2ServerConnection.terminateRequestChannel(HttpServerExchange)}, which
 * {@code HttpServerExchange.endExchange()} calls before it closes the blocking exchange: for a request that asked for
 * 100 Continue and got none, it closes the request and resets the stream with CANCEL once the exchange completes.
 * Skipped when the exchange ends through Undertow's default blocking exchange or a servlet's and the application
 * never took the request ({@link UndertowProxySafeReset#leavesContinueResetToTheBounds}):
 * {@link BlockingExchangeCloseAdvice} or {@link ServletExchangeCloseAdvice} then holds the reset back within the
 * bounds, NO_ERROR past them. The method does nothing else.
 */
public final class ContinueResetAdvice {

    private ContinueResetAdvice() {
    }

    /** Returns true to skip the method. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter(@Advice.Argument(0) Object exchangeArgument) throws Exception {
        HttpServerExchange exchange = (HttpServerExchange) exchangeArgument;
        return UndertowProxySafeReset.leavesContinueResetToTheBounds(
                HttpContinue.requiresContinueResponse(exchange.getRequestHeaders()), exchange.isRequestComplete(),
                exchange.isRequestChannelAvailable(), exchange);
    }
}
