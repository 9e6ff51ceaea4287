package dev.h2patch.undertow;

import dev.h2patch.bootstrap.undertow.UndertowProxySafeReset;
import io.undertow.server.BlockingHttpExchange;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http2.Http2ServerConnection;
import java.io.InputStream;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into undertow-servlet's {@code ServletBlockingHttpExchange.close()}, run when a servlet's exchange ends.
 * Undertow's close reads the request to its end with no bound, and only then closes the response; a request that
 * asked for 100 Continue was reset with CANCEL before it ({@link ContinueResetAdvice} now leaves that to this advice).
 * (When a servlet returns, undertow-servlet has usually closed its response already, in
 * {@code HttpServletResponseImpl.responseDone()}; an exchange ended another way reaches here with it open.)
 *
 * <p>On HTTP/2 with the request not complete ({@link UndertowProxySafeReset#answersFirst}), the response is closed
 * first (through the exchange's {@code getSender()}, which closes the servlet's output stream or its writer, whichever
 * it used; a no-op when already closed), then the rest of the request is read and discarded within the bounds
 * ({@link UndertowProxySafeReset#drainRequest}: RST_STREAM(NO_ERROR) only for a client that sends nothing within
 * {@code reset-defer-ms}) and the request stream is closed; Undertow's close then runs as written and finds both
 * closed. Written against undertow-core's types only ({@code BlockingHttpExchange}), so one advice serves javax (2.2)
 * and jakarta (2.3) servlets. A servlet that took the request's reader keeps Undertow's close of the request (its
 * response is out by then).
 */
public final class ServletExchangeCloseAdvice {

    private ServletExchangeCloseAdvice() {
    }

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void onEnter(@Advice.This Object self,
                        @Advice.FieldValue("exchange") Object exchangeField) throws Exception {
        HttpServerExchange exchange = (HttpServerExchange) exchangeField;
        if (!UndertowProxySafeReset.answersFirst(exchange.getConnection() instanceof Http2ServerConnection,
                exchange.isRequestComplete())) {
            return;
        }
        BlockingHttpExchange blocking = (BlockingHttpExchange) self;
        // The complete response, now, if the servlet's return did not close it; before the request stream is made, so
        // that it never gets Undertow's 100-continue read wrapper.
        blocking.getSender().close();
        InputStream request;
        try {
            request = blocking.getInputStream();
        } catch (IllegalStateException readerTaken) {
            return; // the servlet took the request as a reader (Servlet 4 §3.1.1): Undertow's close drains it
        }
        UndertowProxySafeReset.drainAndClose(request, exchange.getConnection());
    }
}
