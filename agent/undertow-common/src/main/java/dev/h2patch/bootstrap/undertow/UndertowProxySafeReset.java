package dev.h2patch.bootstrap.undertow;

import dev.h2patch.bootstrap.AgentTimer;
import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * proxy-safe-reset for Undertow (docs/fixes/proxy-safe-reset.md, "Undertow"): at the end of a blocking exchange
 * ({@code HttpServerExchange$DefaultBlockingHttpExchange.close()}) Undertow first drains the request body to its end
 * and only then closes the response, so a complete answer given before the request was read (a gRPC error to an
 * upload) is withheld until the client ends its upload: Node's client times out, grpc-js reports DEADLINE_EXCEEDED.
 *
 * <p>With the fix, on HTTP/2, the response is closed first (it goes out at once, complete; RFC 9113 §8.1: a server may
 * answer before the request is complete), then the rest of the request is read and discarded while the client sends
 * it ({@link #drainRequest}): a client that sends is never reset, one that sends nothing within {@code reset-defer-ms}
 * gets RST_STREAM(NO_ERROR), never CANCEL. The application has returned when {@code close()} runs, so no byte it
 * could still read is lost.
 *
 * <p>A servlet deployment (undertow-servlet) closes the response when the servlet returns, before the exchange ends, so
 * its answer is not withheld; its blocking exchange's {@code close()} then reads the request to its end with no bound,
 * and a request that asked for 100 Continue is reset with CANCEL. There the fix reads the rest of the request within
 * the same bounds ({@link #drainRequest}) before Undertow's close runs.
 *
 * <p>The reset goes through Undertow's own public {@code Http2Channel.sendRstStream(int, int)}; the channel and the
 * stream id are private fields of {@code Http2ServerConnection}, read by reflection once per class.
 */
public final class UndertowProxySafeReset {

    /** undertow-servlet's blocking exchange, the same name on 2.2 (javax) and 2.3 (jakarta). */
    public static final String SERVLET_BLOCKING_EXCHANGE = "io.undertow.servlet.core.ServletBlockingHttpExchange";

    private static final AgentTimer TIMER = new AgentTimer("h2patch-undertow-reset", true);

    private static final ClassValue<Access> ACCESS = new ClassValue<Access>() {
        @Override
        protected Access computeValue(Class<?> type) {
            return new Access(type);
        }
    };

    private UndertowProxySafeReset() {
    }

    /**
     * Whether the end of this exchange answers first: an HTTP/2 exchange ({@code http2}) whose request is not
     * complete. Counted: {@code proxy-safe-reset.deferred}; in report mode {@code would-change} and false.
     */
    public static boolean answersFirst(boolean http2, boolean requestComplete) {
        if (!http2 || requestComplete) {
            return false;
        }
        if (H2patchRuntime.reportsOnly(Counters.PROXY_SAFE_RESET_WOULD_CHANGE)) {
            return false;
        }
        Counters.increment(Counters.PROXY_SAFE_RESET_DEFERRED);
        return true;
    }

    /**
     * At the end of a {@code flush()} of an HTTP/2 response stream: whether the stream's completion listener, which
     * marks the exchange's response complete, must run now. Undertow runs it at the start of a flush, once the
     * response's last frame has gone out ({@code finalFrameSent}: {@code completionListenerReady}) and while it has
     * not run ({@code listenerPending}); a flush that starts just before the I/O thread sends that frame and then
     * finds the stream closed returns true without running it, and nothing flushes again. The end of the exchange
     * then finds the response channel closed but the response not complete and closes the "connection"
     * ({@code Http2ServerConnection.close()}: RST_STREAM(CANCEL) after the complete response). Counted:
     * {@code proxy-safe-reset.avoided}; in report mode {@code would-change} and false.
     */
    public static boolean completesResponse(boolean finalFrameSent, boolean listenerPending) {
        if (!finalFrameSent || !listenerPending) {
            return false;
        }
        if (H2patchRuntime.reportsOnly(Counters.PROXY_SAFE_RESET_WOULD_CHANGE)) {
            return false;
        }
        Counters.increment(Counters.PROXY_SAFE_RESET_AVOIDED);
        return true;
    }

    /**
     * After the response was closed: reads and discards the rest of the request from {@code request} until the
     * client's END_STREAM. If no byte of the request has arrived when {@code reset-defer-ms} has passed (a client that
     * waits for a 100 Continue it will not get, or one that sends nothing), the stream of {@code connection} (an
     * {@code Http2ServerConnection}) is reset with NO_ERROR and the read ends. A client that is sending is never reset:
     * its upload is read to its end, as Undertow itself does without the agent, because Undertow ends the whole
     * connection with GOAWAY(PROTOCOL_ERROR) when a DATA frame arrives for a stream whose request channel it has
     * closed, and a client that is sending always has DATA in flight when the reset reaches it (measured on 2.3.27:
     * RST_STREAM(NO_ERROR), GOAWAY(PROTOCOL_ERROR) 10 ms later, the connection gone). Returns normally in every case;
     * the caller closes {@code request} after it.
     */
    public static void drainRequest(InputStream request, Object connection) throws Exception {
        final Access access = ACCESS.get(connection.getClass());
        final Object channel = access.channel.get(connection);
        final Object requestChannel = access.requestChannel.get(connection);
        final int streamId = access.streamId(connection);
        // Before the timer exists, on this thread, which also closes the request after the reset (see ignoreForceClose).
        access.ignoreForceClose(requestChannel);
        final AtomicBoolean over = new AtomicBoolean();
        final AtomicBoolean sending = new AtomicBoolean();
        ScheduledFuture<?> timer = TIMER.get().schedule(new Runnable() {
            @Override
            public void run() {
                if (!sending.get() && over.compareAndSet(false, true)) {
                    Counters.increment(Counters.PROXY_SAFE_RESET_DEFERRED_TIMEOUT);
                    access.reset(channel, requestChannel, streamId); // the blocked read below fails
                }
            }
        }, H2patchRuntime.resetDeferMillis, TimeUnit.MILLISECONDS);
        try {
            byte[] scratch = new byte[8192];
            while (request.read(scratch) != -1) {
                sending.set(true);
            }
            if (over.compareAndSet(false, true)) {
                Counters.increment(Counters.PROXY_SAFE_RESET_AVOIDED); // the client ended: no reset
            }
        } catch (IOException e) {
            // Reset (by the time bound, or by the client), or the connection went: nothing more to read.
            over.set(true);
        } finally {
            timer.cancel(false);
        }
    }

    /**
     * {@link #drainRequest}, then closes {@code request} (an {@code IOException} there means the stream was reset, at
     * the time bound or by the client: there is nothing left to read). What both blocking-exchange advices do once the
     * response is out.
     */
    public static void drainAndClose(InputStream request, Object connection) throws Exception {
        try {
            drainRequest(request, connection);
        } finally {
            try {
                request.close();
            } catch (IOException ignored) {
                // Reset: nothing left to read.
            }
        }
    }

    /** {@code HttpServerExchange}'s private {@code blockingHttpExchange}, per class. */
    private static final ClassValue<Field> BLOCKING = new ClassValue<Field>() {
        @Override
        protected Field computeValue(Class<?> type) {
            try {
                Field field = type.getDeclaredField("blockingHttpExchange");
                field.setAccessible(true);
                return field;
            } catch (NoSuchFieldException e) {
                throw new IllegalStateException(type.getName() + " has no blockingHttpExchange field", e);
            }
        }
    };

    /**
     * At the end of an exchange whose request asked for 100 Continue ({@code Expect: 100-continue}) and got none
     * ({@code continueRequired}), before Undertow's {@code Http2ServerConnection.terminateRequestChannel} closes the
     * request and resets the stream with CANCEL once the exchange completes: whether that is skipped, and left to the
     * blocking exchange's close ({@link #drainRequest}: RST_STREAM(NO_ERROR) if the client sends nothing within
     * {@code reset-defer-ms}, no reset if it sends its request). Only for an exchange ended by one of the two blocking
     * exchanges whose close the fix advises ({@link #drainsAtClose}), and only while the application has not taken
     * the request ({@code requestUntouched}: {@code HttpServerExchange.isRequestChannelAvailable()}). A request taken
     * before the response started may carry Undertow's 100-continue read wrapper, whose first read after the response
     * fails and whose next one waits for a body the client never sends; one taken as a servlet's reader cannot be read
     * as bytes by the advice. Those keep Undertow's CANCEL. Counted as {@link #answersFirst} counts.
     */
    public static boolean leavesContinueResetToTheBounds(boolean continueRequired, boolean requestComplete,
                                                         boolean requestUntouched, Object exchange) throws Exception {
        if (!continueRequired || requestComplete || !requestUntouched) {
            return false;
        }
        Object blocking = BLOCKING.get(exchange.getClass()).get(exchange);
        if (blocking == null || !drainsAtClose(blocking.getClass().getName())) {
            return false;
        }
        return !H2patchRuntime.reportOnly;
    }

    /**
     * Whether the fix advises the {@code close()} of {@code blockingExchangeClass}, to read the rest of the request
     * there within the bounds ({@link #drainRequest}): Undertow's default blocking exchange
     * ({@code HttpServerExchange$DefaultBlockingHttpExchange}, native handlers) or undertow-servlet's
     * ({@link #SERVLET_BLOCKING_EXCHANGE}, every servlet deployment).
     */
    static boolean drainsAtClose(String blockingExchangeClass) {
        return blockingExchangeClass.endsWith("HttpServerExchange$DefaultBlockingHttpExchange")
                || blockingExchangeClass.equals(SERVLET_BLOCKING_EXCHANGE);
    }

    /**
     * Detach: ends the timer's thread, and a silent client's reset still waiting for its bound goes out now, as
     * RST_STREAM(NO_ERROR), as the held resets of the other libraries do. Dropping it would leave Undertow's worker
     * thread in {@link #drainRequest}'s read, with no bound any more.
     */
    public static void stop() {
        TIMER.stopRunningQueuedNow("proxy-safe-reset");
    }

    /**
     * {@code Http2ServerConnection}'s private {@code channel}, {@code requestChannel} and {@code responseChannel}, per
     * class.
     */
    static final class Access {
        final Field channel;
        final Field requestChannel;
        final Field responseChannel;

        Access(Class<?> type) {
            try {
                channel = type.getDeclaredField("channel");
                requestChannel = type.getDeclaredField("requestChannel");
                responseChannel = type.getDeclaredField("responseChannel");
                channel.setAccessible(true);
                requestChannel.setAccessible(true);
                responseChannel.setAccessible(true);
            } catch (NoSuchFieldException e) {
                throw new IllegalStateException(type.getName() + " lacks a field Undertow 2.2 to 2.4 have: " + e, e);
            }
        }

        int streamId(Object connection) throws Exception {
            Object response = responseChannel.get(connection);
            return (Integer) response.getClass().getMethod("getStreamId").invoke(response);
        }

        /**
         * Tells the request channel to ignore its forced close ({@code Http2StreamSourceChannel.setIgnoreForceClose(true)},
         * public): once the fix resets the stream, closing the request would otherwise send a second RST_STREAM, with
         * CANCEL (seen on 2.3.27 and 2.4.4), and an endpoint sends one RST_STREAM per stream (RFC 9113 §5.4.2). Set by
         * the thread that later closes the request, before the reset can happen: the flag is a plain field, and set
         * from the timer's thread it was once not seen (RST_STREAM(NO_ERROR), then CANCEL 14 ms later, 2.4.4).
         */
        void ignoreForceClose(Object requestChannel) {
            try {
                if (requestChannel != null) {
                    requestChannel.getClass().getMethod("setIgnoreForceClose", boolean.class)
                            .invoke(requestChannel, true);
                }
            } catch (Exception ignored) {
                // Not on this release: Undertow's own close may follow the reset with its CANCEL.
            }
        }

        /** RST_STREAM(NO_ERROR) through Undertow's {@code sendRstStream}. */
        void reset(Object channel, Object requestChannel, int streamId) {
            try {
                Method send = channel.getClass().getMethod("sendRstStream", int.class, int.class);
                send.invoke(channel, streamId, 0); // NO_ERROR (RFC 9113 §7)
            } catch (Exception ignored) {
                // The connection is gone: nothing to reset.
            }
        }
    }
}
