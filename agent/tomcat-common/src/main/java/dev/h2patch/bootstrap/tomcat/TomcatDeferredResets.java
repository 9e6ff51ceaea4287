package dev.h2patch.bootstrap.tomcat;

import dev.h2patch.bootstrap.AdviceFailures;
import dev.h2patch.bootstrap.AgentTimer;
import dev.h2patch.bootstrap.ConnectionEntry;
import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.DeferredResets;
import dev.h2patch.bootstrap.H2patchRuntime;
import dev.h2patch.bootstrap.WeakIdentityKey;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The resets Tomcat asked for that the proxy-safe-reset fix holds back (docs/fixes/proxy-safe-reset.md, "Tomcat"), and
 * what ends them: the client's END_STREAM or reset (nothing is sent), {@code reset-defer-ms} or
 * {@code reset-defer-bytes} (Tomcat's own {@code Stream.close} runs then, with {@code RST_STREAM(NO_ERROR)}), detach
 * (the same, at once). The decisions are {@link TomcatProxySafeReset}'s.
 *
 * <p>Holding back a reset means skipping Tomcat's {@code Stream.close(StreamException)} for a stream whose response is
 * complete (half-closed local) and calling, of what that method does, only the stream input buffer's
 * {@code swallowUnread()}: Tomcat then discards the request DATA it has buffered and every DATA that still arrives,
 * returning the connection's flow-control window for it (its own code, as after a reset), so the other streams of the
 * connection never wait for a held stream. Tomcat sends no stream WINDOW_UPDATE on a stream that cannot write, so
 * {@link #returnWindow} has Tomcat's own code return the held stream's window too, and a client's upload goes on
 * within {@code reset-defer-bytes}; {@link #exemptFromOverhead} keeps the held stream's DATA out of Tomcat's overhead
 * count, so a client streaming small messages keeps its connection. The stream's state stays Tomcat's: the client's END_STREAM closes it (and takes it off the connection's
 * active count) through Tomcat's own code, after which the stream is recycled as Tomcat's {@code close} would have
 * ({@code replace()}, or {@code recycle()} on 9.0.70), without a frame.
 *
 * <p>Tomcat's HTTP/2 classes are package-private, so they are reached by reflection, by the names every line has
 * ({@code Stream.close(Http2Exception)}, {@code getInputBuffer()}, {@code StreamInputBuffer.swallowUnread()},
 * {@code StandardStreamInputBuffer.inBuffer}, {@code StreamException.getStreamId()}, {@code Http2Exception.getError()},
 * {@code StreamStateMachine.state}, {@code Http2Error}, {@code Http2UpgradeHandler.protocol} and
 * {@code lastNonFinalDataPayload}), looked up once per class. Only resets use this class; a normal response never does.
 */
public final class TomcatDeferredResets {

    /** What {@link #onClose} returns to hold the reset back: the advice skips {@code Stream.close}. */
    public static final Object HOLD = new Object();

    /** The most resets held back per connection (the same limit as Netty's and Jetty's). */
    public static final int MAX_PER_CONNECTION = DeferredResets.MAX_PER_CONNECTION;

    static final String STREAM_EXCEPTION = "org.apache.coyote.http2.StreamException";

    private static final AgentTimer TIMER = new AgentTimer("h2patch-tomcat-resets", true);

    /**
     * Held resets by connection ({@code Http2UpgradeHandler}, by identity, weakly); an entry exists only while the
     * connection holds one. Each connection's entry is guarded by itself: no lock is shared by all connections on the
     * DATA path (docs/safety.md).
     */
    private static final ConcurrentHashMap<Object, Held> HELD = new ConcurrentHashMap<Object, Held>();

    /** Held resets by stream (by identity, weakly), for the callbacks that know only the stream. */
    private static final ConcurrentHashMap<Object, Deferral> BY_STREAM = new ConcurrentHashMap<Object, Deferral>();

    private static final AtomicInteger HELD_COUNT = new AtomicInteger();

    private static volatile Reflection reflection;

    private TomcatDeferredResets() {
    }

    /** Whether any reset is held back in this JVM: the advice's fast path, one volatile read. */
    public static boolean anyHeld() {
        return HELD_COUNT.get() > 0;
    }

    /** One connection's held resets. Guarded by itself. */
    static final class Held extends ConnectionEntry {
        static final Factory<Held> FACTORY = new Factory<Held>() {
            @Override
            public Held make(Object connection) {
                return new Held(connection);
            }
        };

        final List<Deferral> deferrals = new ArrayList<Deferral>();
        /**
         * The connection's {@code overheadDataThreshold} ({@link #overheadDataThreshold}), read once: its protocol is a
         * final field with a fixed setting, and every frame of a held stream needs it twice (exemption, charge).
         */
        final int overheadDataThreshold;

        Held(Object connection) {
            super(connection, HELD);
            this.overheadDataThreshold = TomcatDeferredResets.overheadDataThreshold(connection);
        }

        @Override
        protected boolean isEmpty() {
            return deferrals.isEmpty();
        }
    }

    /** One held reset. Its mutable fields are guarded by its connection's {@link Held}. */
    static final class Deferral {
        final Held held;
        final WeakIdentityKey streamKey;
        final Object connection;
        final Object stream;
        final Object state;
        final Object exception;
        final int streamId;
        final String errorName;
        long bytes;
        boolean firing;
        Future<?> timer;

        Deferral(Held held, Object connection, Object stream, Object state, Object exception, int streamId,
                 String errorName) {
            this.held = held;
            this.streamKey = new WeakIdentityKey(stream);
            this.connection = connection;
            this.stream = stream;
            this.state = state;
            this.exception = exception;
            this.streamId = streamId;
            this.errorName = errorName;
        }
    }

    /**
     * {@code Stream.close(Http2Exception)} is about to run on {@code stream} of {@code connection}, whose state machine
     * is {@code state}. Returns null (Tomcat closes the stream as asked), {@link #HOLD} (the reset is held back: skip
     * the method) or the exception to close with instead (a {@code StreamException} with {@code NO_ERROR}).
     */
    public static Object onClose(Object connection, Object stream, Object state, Object exception) throws Exception {
        if (exception == null || !STREAM_EXCEPTION.equals(exception.getClass().getName())) {
            return null; // a connection error: not a stream reset
        }
        Deferral own = find(connection, stream);
        if (own != null && own.firing) {
            return null; // this class's own close, at a bound
        }
        Reflection r = reflection(exception.getClass(), state.getClass());
        String errorName = r.errorName(exception);
        int decision = TomcatProxySafeReset.onClose(errorName, r.stateName(state), own != null);
        if (own != null) {
            remove(own);
        }
        if (decision == TomcatProxySafeReset.PASS) {
            return null;
        }
        if (decision == TomcatProxySafeReset.NO_ERROR) {
            return r.noError(exception);
        }
        Deferral deferral = reserve(connection, stream, state, exception, r.streamId(exception), errorName);
        if (deferral == null) {
            return TomcatProxySafeReset.cannotHold(errorName) == TomcatProxySafeReset.NO_ERROR
                    ? r.noError(exception) : null;
        }
        try {
            r.swallowUnread(stream);
        } catch (InvocationTargetException e) {
            remove(deferral);
            if (e.getCause() instanceof IOException) {
                // Tomcat could not write the WINDOW_UPDATE for the swallowed bytes: the client has gone (seen as
                // "Broken pipe" when it closed the connection just as the response completed). Nothing to hold back;
                // Tomcat's own close runs and handles the broken connection as it does without the agent.
                return null;
            }
            throw e;
        } catch (Exception e) {
            remove(deferral);
            throw e;
        }
        scheduleTimeBound(deferral, H2patchRuntime.resetDeferMillis);
        Counters.increment(Counters.PROXY_SAFE_RESET_DEFERRED);
        return HOLD;
    }

    /** The client's END_STREAM was received on {@code stream} (after Tomcat handled it): no reset will be sent. */
    public static void onEndOfStream(Object stream) {
        final Deferral d = findByStream(stream);
        if (d == null || !remove(d)) {
            return;
        }
        Counters.increment(Counters.PROXY_SAFE_RESET_AVOIDED);
        // Recycle the stream as Tomcat's close would have, after Tomcat's own END_STREAM handling has returned.
        TIMER.get().execute(new Runnable() {
            @Override
            public void run() {
                try {
                    reflection.recycle(d.stream);
                } catch (Throwable t) {
                    Counters.increment(Counters.PROXY_SAFE_RESET_FAILED);
                }
            }
        });
    }

    /** The client reset {@code stream} (or Tomcat closed the connection): the held reset is dropped. */
    public static void onClientReset(Object stream) {
        Deferral d = findByStream(stream);
        if (d != null && remove(d)) {
            Counters.increment(Counters.PROXY_SAFE_RESET_AVOIDED);
        }
    }

    /** {@code connection}'s held resets, or null when it holds none. */
    private static Held heldOf(Object connection) {
        return HELD.get(new WeakIdentityKey.Probe(connection));
    }

    /** The deferral that holds {@code streamId} on {@code connection} and has not fired, or null. */
    private static Deferral heldDeferral(Object connection, int streamId) {
        Held heldOn = heldOf(connection);
        if (heldOn == null) {
            return null;
        }
        synchronized (heldOn) {
            return heldLocked(heldOn, streamId);
        }
    }

    /** The deferral that holds {@code streamId} in {@code held} and has not fired; callers hold {@code held}'s lock. */
    private static Deferral heldLocked(Held held, int streamId) {
        for (Deferral d : held.deferrals) {
            if (d.streamId == streamId && !d.firing) {
                return d;
            }
        }
        return null;
    }

    /**
     * A DATA frame of {@code payload} bytes arrives on {@code streamId} of {@code connection} ({@code endOfStream}: it
     * ends the request): charged against {@code reset-defer-bytes} when the stream's reset is held
     * ({@link TomcatProxySafeReset#chargedBytes}); past the bound the reset is sent at once (counted as
     * {@code deferred-bytes}).
     */
    public static void onData(Object connection, int streamId, long payload, boolean endOfStream) {
        Held heldOn = heldOf(connection);
        if (heldOn == null) {
            return;
        }
        Deferral d = null;
        synchronized (heldOn) {
            Deferral held = heldLocked(heldOn, streamId);
            if (held != null) {
                held.bytes += TomcatProxySafeReset.chargedBytes(payload, endOfStream, heldOn.overheadDataThreshold);
                if (held.bytes > H2patchRuntime.resetDeferBytes) {
                    d = held;
                }
            }
        }
        if (d != null) {
            // On the thread that reads the frame, after Tomcat counted it against the stream (the advice runs when
            // startRequestBodyFrame returns): Tomcat then hands the payload to the recycled stream, which returns its
            // connection window (Http2UpgradeHandler.endRequestBodyFrame). Closed before (or from another thread while
            // Tomcat handled the frame), the recycled stream counted the frame against a window of 0 and Tomcat reset
            // the stream a second time, RST_STREAM(FLOW_CONTROL_ERROR) (seen on 9.0.124 and 11.0.29).
            fire(d, true);
        }
    }

    /**
     * A non-final DATA frame arrives on {@code streamId} of {@code connection} (at the start of Tomcat's
     * {@code startRequestBodyFrame}): when the stream's reset is held, the frame is exempt from Tomcat's overhead count
     * until {@link #endOverheadExemption}, on this thread ({@link #exemptsOverheadOf} then skips Tomcat's
     * {@code updateOverheadCount(DATA, n)}, up or down). Returns Tomcat's {@code lastNonFinalDataPayload} to restore at the end
     * (the frame leaves the connection's overhead state as it found it), or {@link #NOT_EXEMPT}.
     *
     * <p>Why: without the agent Tomcat's reset stops a client that streams small messages (Node's http2 client,
     * grpc-js) after one round trip; a held reset lets it go on, and Tomcat's overhead protection would close the whole
     * connection with GOAWAY(ENHANCE_YOUR_CALM) at its second small frame. Bound: the hold's ({@code reset-defer-ms};
     * {@link TomcatProxySafeReset#chargedBytes} charges each such frame at least {@code overheadDataThreshold} against
     * {@code reset-defer-bytes}, so at most 1024 frames per held stream with the defaults; at most
     * {@link #MAX_PER_CONNECTION} held streams per connection).
     */
    public static int exemptFromOverhead(Object connection, int streamId) {
        Deferral held = heldDeferral(connection, streamId);
        if (held == null) {
            return NOT_EXEMPT;
        }
        if (held.held.overheadDataThreshold < 0) {
            // Unknown threshold: the frames could not be charged at it, so the exemption would have no bound.
            return NOT_EXEMPT;
        }
        EXEMPT_FRAME.set(Boolean.TRUE);
        return lastNonFinalDataPayload(connection);
    }

    /** The end of {@code startRequestBodyFrame} for a frame {@link #exemptFromOverhead} exempted. */
    public static void endOverheadExemption(Object connection, int savedLastNonFinalDataPayload) {
        EXEMPT_FRAME.remove();
        if (savedLastNonFinalDataPayload == Integer.MAX_VALUE) {
            return; // the field could not be read
        }
        try {
            Field field = LAST_NON_FINAL_PAYLOAD.get(connection.getClass());
            if (field != null) {
                field.setInt(connection, savedLastNonFinalDataPayload);
            }
        } catch (Exception e) {
            Counters.increment(Counters.PROXY_SAFE_RESET_FAILED);
        }
    }

    /**
     * Whether Tomcat's {@code updateOverheadCount(frameType, n)} is skipped: a DATA frame's count, on the thread that
     * reads a frame {@link #exemptFromOverhead} exempted.
     */
    public static boolean exemptsOverheadOf(Object frameType) {
        return EXEMPT_FRAME.get() != null && frameType instanceof Enum && "DATA".equals(((Enum<?>) frameType).name());
    }

    /** What {@link #exemptFromOverhead} returns for a frame it does not exempt. */
    public static final int NOT_EXEMPT = Integer.MIN_VALUE;

    /** Set while this thread reads a held stream's non-final DATA frame; a plain ThreadLocal (no subclass to leak). */
    private static final ThreadLocal<Boolean> EXEMPT_FRAME = new ThreadLocal<Boolean>();

    /**
     * Tomcat discarded {@code streamId}'s DATA and is about to return its flow-control window
     * ({@code Http2UpgradeHandler.onSwallowedDataFramePayload}, for the bytes buffered when the hold began and for
     * every DATA frame after): for a held stream, its input buffer gets back the room the discarded bytes took, and for
     * the length of that call on this thread {@link #returnsWindowOf} makes Tomcat's {@code Stream.canWrite()} true for
     * it, so Tomcat's own {@code writeWindowUpdate} returns the stream's window with the connection's, as it does when
     * a servlet reads. Without this a client uploading more than Tomcat's 64 KiB stream window waits at the window
     * until {@code reset-defer-ms} and gets the reset (seen with nghttp's 512 KiB upload); with it the upload goes on
     * within {@code reset-defer-bytes}. Returns whether the call was marked ({@link #endWindowReturn} ends it).
     */
    public static boolean returnWindow(Object connection, int streamId) {
        Deferral held = heldDeferral(connection, streamId);
        if (held == null) {
            return false;
        }
        try {
            restoreInputRoom(held.stream);
        } catch (Exception e) {
            Counters.increment(Counters.PROXY_SAFE_RESET_FAILED);
            return false; // no room back: the window stays Tomcat's, as without this method
        }
        WINDOW_STREAM.set(held.stream);
        return true;
    }

    /** The end of the {@code onSwallowedDataFramePayload} call {@link #returnWindow} marked. */
    public static void endWindowReturn() {
        WINDOW_STREAM.remove();
    }

    /** Whether {@code stream}'s {@code canWrite()} answers true: its window is being returned on this thread. */
    public static boolean returnsWindowOf(Object stream) {
        return stream != null && WINDOW_STREAM.get() == stream;
    }

    /** The held stream whose window this thread returns; a plain ThreadLocal (no subclass to leak). */
    private static final ThreadLocal<Object> WINDOW_STREAM = new ThreadLocal<Object>();

    /**
     * Gives the held stream's input buffer its full room back: Tomcat's {@code swallowUnread} lowers the buffer's
     * limit by what it discards (the buffer mirrors the stream window, which it does not return); a servlet's read
     * clears the buffer instead. Under the buffer's monitor, as Tomcat's own changes to it; the position (bytes that
     * arrived meanwhile) is kept. No buffer (nothing arrived, or Tomcat's saved-request buffer): nothing to do.
     */
    static void restoreInputRoom(Object stream) throws Exception {
        Method getInputBuffer = GET_INPUT_BUFFER.get(stream.getClass());
        Object input = getInputBuffer == null ? null : getInputBuffer.invoke(stream);
        Field field = input == null ? null : IN_BUFFER.get(input.getClass());
        Object buffer = field == null ? null : field.get(input);
        if (buffer instanceof java.nio.ByteBuffer) {
            java.nio.ByteBuffer in = (java.nio.ByteBuffer) buffer;
            synchronized (in) {
                in.limit(in.capacity());
            }
        }
    }

    /** {@code Stream.getInputBuffer()}, once per stream class; null if it has none. */
    private static final ClassValue<Method> GET_INPUT_BUFFER = new ClassValue<Method>() {
        @Override
        protected Method computeValue(Class<?> type) {
            try {
                return Reflection.declared(type, "getInputBuffer");
            } catch (NoSuchMethodException e) {
                return null;
            }
        }
    };

    /** {@code StandardStreamInputBuffer}'s private {@code inBuffer}, once per input buffer class; null if none. */
    private static final ClassValue<Field> IN_BUFFER = declaredField("inBuffer");

    /**
     * {@code connection.protocol.getOverheadDataThreshold()} ({@code Http2UpgradeHandler}'s protected final field, the
     * same on 9.0.70 to 11.0); -1 when it cannot be read (a stand-in, or a Tomcat that moved it): then a held stream's
     * frames are not exempt from Tomcat's overhead count ({@link #exemptFromOverhead}), since they could not be charged
     * at the threshold. A failed read is counted and reported once ({@link AdviceFailures}).
     */
    static int overheadDataThreshold(Object connection) {
        try {
            Field field = PROTOCOL.get(connection.getClass());
            Object protocol = field == null ? null : field.get(connection);
            Method method = protocol == null ? null : THRESHOLD.get(protocol.getClass());
            return method == null ? -1 : ((Integer) method.invoke(protocol)).intValue();
        } catch (Exception e) {
            AdviceFailures.failed(e, "proxy-safe-reset", connection.getClass());
            return -1;
        }
    }

    /**
     * {@code Http2UpgradeHandler}'s private {@code lastNonFinalDataPayload} (the size of the connection's last
     * non-final DATA frame, {@code 2 x threshold} before the first; 9.0.70 to 11.0), or {@link Integer#MAX_VALUE} when
     * it cannot be read.
     */
    static int lastNonFinalDataPayload(Object connection) {
        try {
            Field field = LAST_NON_FINAL_PAYLOAD.get(connection.getClass());
            return field == null ? Integer.MAX_VALUE : field.getInt(connection);
        } catch (Exception e) {
            return Integer.MAX_VALUE;
        }
    }

    /** The connection's {@code protocol} field, looked up once per connection class; null if it has none. */
    private static final ClassValue<Field> PROTOCOL = declaredField("protocol");

    /** The connection's {@code lastNonFinalDataPayload} field, once per connection class; null if it has none. */
    private static final ClassValue<Field> LAST_NON_FINAL_PAYLOAD = declaredField("lastNonFinalDataPayload");

    /** {@code Http2Protocol.getOverheadDataThreshold()} (public), once per protocol class; null if it has none. */
    private static final ClassValue<Method> THRESHOLD = publicMethod("getOverheadDataThreshold");

    /** Public no-argument method {@code name} of a class; null if it has none. */
    private static ClassValue<Method> publicMethod(final String name) {
        return new ClassValue<Method>() {
            @Override
            protected Method computeValue(Class<?> type) {
                try {
                    return type.getMethod(name);
                } catch (NoSuchMethodException e) {
                    return null;
                }
            }
        };
    }

    /** Field {@code name} declared by a class or its superclasses, made accessible; null if none declares it. */
    private static ClassValue<Field> declaredField(final String name) {
        return new ClassValue<Field>() {
            @Override
            protected Field computeValue(Class<?> type) {
                for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                    try {
                        Field f = c.getDeclaredField(name);
                        f.setAccessible(true);
                        return f;
                    } catch (NoSuchFieldException e) {
                        // look further up
                    }
                }
                return null;
            }
        };
    }

    /** Detach: every held reset is sent now (NO_ERROR) and the timer thread ends. */
    public static void stop() {
        List<Deferral> all = new ArrayList<Deferral>();
        for (Held held : HELD.values()) {
            synchronized (held) {
                all.addAll(held.deferrals);
            }
        }
        for (Deferral d : all) {
            fire(d, false);
        }
        TIMER.stop();
    }

    /** How many connections have an entry (tests). */
    static int connectionsWithHeldResets() {
        return HELD.size();
    }

    /** How many resets are held back on {@code connection} (tests). */
    static int heldOn(Object connection) {
        Held held = heldOf(connection);
        if (held == null) {
            return 0;
        }
        synchronized (held) {
            return held.deferrals.size();
        }
    }

    static Deferral reserve(Object connection, Object stream, Object state, Object exception, int streamId,
            String errorName) {
        for (;;) {
            Held held = ConnectionEntry.of(HELD, connection, Held.FACTORY);
            synchronized (held) {
                if (held.removed) {
                    continue; // its last held reset just ended: start a new entry
                }
                if (held.deferrals.size() >= MAX_PER_CONNECTION) {
                    held.removeIfEmpty();
                    return null;
                }
                Deferral d = new Deferral(held, connection, stream, state, exception, streamId, errorName);
                held.deferrals.add(d);
                BY_STREAM.put(d.streamKey, d);
                HELD_COUNT.incrementAndGet();
                return d;
            }
        }
    }

    /** Takes {@code d} out of its connection's entry; false if it was gone already. Caller holds {@code d.held}. */
    private static boolean unlinkLocked(Deferral d) {
        if (!d.held.deferrals.remove(d)) {
            return false;
        }
        BY_STREAM.remove(d.streamKey, d);
        HELD_COUNT.decrementAndGet();
        d.held.removeIfEmpty();
        return true;
    }

    /** Removes {@code d}; false if it was gone already (ended by another path). Cancels its timer. */
    static boolean remove(Deferral d) {
        Future<?> timer;
        synchronized (d.held) {
            if (!unlinkLocked(d)) {
                return false;
            }
            timer = d.timer;
        }
        if (timer != null) {
            timer.cancel(false);
        }
        return true;
    }

    static Deferral find(Object connection, Object stream) {
        if (HELD_COUNT.get() == 0) {
            return null;
        }
        Deferral d = findByStream(stream);
        return d != null && d.connection == connection ? d : null;
    }

    private static Deferral findByStream(Object stream) {
        return BY_STREAM.get(new WeakIdentityKey.Probe(stream));
    }

    /** Sends the held reset at the time bound, {@code millis} from now. */
    private static void scheduleTimeBound(final Deferral d, long millis) {
        Runnable task = new Runnable() {
            @Override
            public void run() {
                fire(d, false);
            }
        };
        synchronized (d.held) {
            if (!d.firing) {
                d.timer = TIMER.get().schedule(task, millis, TimeUnit.MILLISECONDS);
            }
        }
    }

    /**
     * A bound passed (or detach): Tomcat's own {@code Stream.close} runs now with {@code RST_STREAM(NO_ERROR)}, unless
     * the client ended or reset the stream meanwhile.
     */
    static void fire(Deferral d, boolean bytes) {
        synchronized (d.held) {
            if (d.firing || !d.held.deferrals.contains(d)) {
                return;
            }
            d.firing = true;
        }
        try {
            Reflection r = reflection;
            if (TomcatProxySafeReset.HALF_CLOSED_LOCAL.equals(r.stateName(d.state))) {
                r.close(d.stream, r.noError(d.exception));
                Counters.increment(bytes ? Counters.PROXY_SAFE_RESET_DEFERRED_BYTES
                        : Counters.PROXY_SAFE_RESET_DEFERRED_TIMEOUT);
                if (TomcatProxySafeReset.code(d.errorName) != 0) {
                    Counters.increment(Counters.PROXY_SAFE_RESET_REWRITTEN);
                }
            } else {
                // The client ended or reset the stream just as the reset was held back: nothing to send; the stream
                // is recycled as Tomcat's close would have.
                r.recycle(d.stream);
            }
        } catch (Throwable t) {
            Counters.increment(Counters.PROXY_SAFE_RESET_FAILED);
        } finally {
            synchronized (d.held) {
                unlinkLocked(d);
            }
        }
    }

    private static Reflection reflection(Class<?> exceptionClass, Class<?> stateClass) throws Exception {
        Reflection r = reflection;
        if (r == null || r.exceptionClass != exceptionClass || r.stateClass != stateClass) {
            r = new Reflection(exceptionClass, stateClass);
            reflection = r;
        }
        return r;
    }

    /** Tomcat's package-private members this class uses, looked up once per Tomcat class loader. */
    static final class Reflection {
        final Class<?> exceptionClass;
        final Class<?> stateClass;
        private final Method getError;
        private final Method getStreamId;
        private final Constructor<?> newException;
        private final Object noErrorCode;
        private final Field state;

        Reflection(Class<?> exceptionClass, Class<?> stateClass) throws Exception {
            this.exceptionClass = exceptionClass;
            this.stateClass = stateClass;
            getError = declared(exceptionClass, "getError");
            getStreamId = declared(exceptionClass, "getStreamId");
            Class<?> errorClass = getError.getReturnType();
            newException = exceptionClass.getDeclaredConstructor(String.class, errorClass, int.class);
            newException.setAccessible(true);
            noErrorCode = enumConstant(errorClass, "NO_ERROR");
            state = stateClass.getDeclaredField("state");
            state.setAccessible(true);
        }

        String errorName(Object exception) throws Exception {
            Object error = getError.invoke(exception);
            return error == null ? null : ((Enum<?>) error).name();
        }

        int streamId(Object exception) throws Exception {
            return ((Integer) getStreamId.invoke(exception)).intValue();
        }

        String stateName(Object stateMachine) throws Exception {
            Object value = state.get(stateMachine);
            return value == null ? null : ((Enum<?>) value).name();
        }

        /** A {@code StreamException} for the same stream with {@code NO_ERROR}. */
        Object noError(Object exception) throws Exception {
            return newException.newInstance("h2patch proxy-safe-reset: the response is complete, the request body is"
                    + " not read (RST_STREAM NO_ERROR, RFC 9113 section 8.1)", noErrorCode, getStreamId.invoke(exception));
        }

        void close(Object stream, Object exception) throws Exception {
            Method close = null;
            for (Class<?> c = stream.getClass(); c != null && close == null; c = c.getSuperclass()) {
                for (Method m : c.getDeclaredMethods()) {
                    if (m.getName().equals("close") && m.getParameterTypes().length == 1
                            && m.getParameterTypes()[0].isInstance(exception)) {
                        close = m;
                    }
                }
            }
            if (close == null) {
                throw new NoSuchMethodException(stream.getClass().getName() + ".close(Http2Exception)");
            }
            close.setAccessible(true);
            close.invoke(stream, exception);
        }

        /** {@code stream.getInputBuffer().swallowUnread()}: what Tomcat's close does after the reset. */
        void swallowUnread(Object stream) throws Exception {
            Object input = declared(stream.getClass(), "getInputBuffer").invoke(stream);
            if (input != null) {
                declared(input.getClass(), "swallowUnread").invoke(input);
            }
        }

        /** What Tomcat's close does last: {@code replace()} (9.0.71 and later) or {@code recycle()} (9.0.70). */
        void recycle(Object stream) throws Exception {
            Method m;
            try {
                m = declared(stream.getClass(), "replace");
            } catch (NoSuchMethodException e) {
                m = declared(stream.getClass(), "recycle");
            }
            m.invoke(stream);
        }

        /** A no-argument method {@code name} declared by {@code type} or a superclass, made accessible. */
        static Method declared(Class<?> type, String name) throws NoSuchMethodException {
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                try {
                    Method m = c.getDeclaredMethod(name);
                    m.setAccessible(true);
                    return m;
                } catch (NoSuchMethodException e) {
                    // look further up
                }
            }
            throw new NoSuchMethodException(type.getName() + "." + name + "()");
        }

        @SuppressWarnings({"unchecked", "rawtypes"})
        static Object enumConstant(Class<?> type, String name) {
            return Enum.valueOf((Class) type, name);
        }
    }
}
