package dev.h2patch.undertow;

import dev.h2patch.bootstrap.undertow.UndertowProxySafeReset;
import io.undertow.server.BlockingHttpExchange;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.protocol.http2.Http2ServerConnection;
import java.io.InputStream;
import net.bytebuddy.asm.Advice;

/**
 * Inlined into Undertow's {@code HttpServerExchange$DefaultBlockingHttpExchange.close()}, run when a blocking exchange
 * ends (the handler has returned): Undertow closes the request's input stream first, which reads the request to its
 * end, and only then the response's output stream, so a complete answer waits for the client's upload to end.
 *
 * <p>On HTTP/2 with the request not complete ({@link UndertowProxySafeReset#answersFirst}): the output stream is closed
 * first (the complete response goes out now, with END_STREAM), then the rest of the request is read and discarded
 * ({@link UndertowProxySafeReset#drainRequest}: RST_STREAM(NO_ERROR) only for a client that sends nothing), then the
 * input stream is closed, and Undertow's own {@code close()} is skipped: it would do the same two closes, in the other
 * order. (A request that asked for 100 Continue and got none comes here too: {@link ContinueResetAdvice} kept
 * Undertow from resetting it with CANCEL first.) If closing the response fails, the advice's failure is counted and
 * Undertow's {@code close()} runs as written.
 * HTTP/1.1 exchanges and exchanges whose request is complete run Undertow's code unchanged.
 */
public final class BlockingExchangeCloseAdvice {

    private BlockingExchangeCloseAdvice() {
    }

    /** Returns true to skip Undertow's {@code close()}: this advice closed both streams. */
    @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
    static boolean onEnter(@Advice.This Object self,
                           @Advice.FieldValue("exchange") Object exchangeField,
                           @Advice.FieldValue("outputStream") Object outputStream) throws Exception {
        HttpServerExchange exchange = (HttpServerExchange) exchangeField;
        if (!UndertowProxySafeReset.answersFirst(exchange.getConnection() instanceof Http2ServerConnection,
                exchange.isRequestComplete())) {
            return false;
        }
        BlockingHttpExchange blocking = (BlockingHttpExchange) self;
        if (outputStream != null || !exchange.isResponseComplete()) {
            // The complete response, now, fully flushed when close() returns; marked complete by that flush
            // (FlushCompletionAdvice) even when its last frame went out as the flush began.
            blocking.getOutputStream().close();
        }
        InputStream request = blocking.getInputStream();
        UndertowProxySafeReset.drainAndClose(request, exchange.getConnection());
        return true;
    }
}
