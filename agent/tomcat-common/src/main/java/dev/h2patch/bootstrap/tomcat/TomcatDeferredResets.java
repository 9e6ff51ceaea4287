package dev.h2patch.bootstrap.tomcat;

import dev.h2patch.bootstrap.AgentTimer;
import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.DeferredResets;
import dev.h2patch.bootstrap.H2patchRuntime;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

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
 * connection never wait for a held stream. The stream's own window is not returned (Tomcat sends no stream
 * WINDOW_UPDATE on a stream that cannot write), so a client can send at most the stream's window (Tomcat's
 * {@code initialWindowSize}, 64 KiB by default) while its reset is held; it then waits, and the time bound sends the
 * reset. The stream's state stays Tomcat's: the client's END_STREAM closes it (and takes it off the connection's
 * active count) through Tomcat's own code, after which the stream is recycled as Tomcat's {@code close} would have
 * ({@code replace()}, or {@code recycle()} on 9.0.70), without a frame.
 *
 * <p>Tomcat's HTTP/2 classes are package-private, so they are reached by reflection, by the names every line has
 * ({@code Stream.close(Http2Exception)}, {@code getInputBuffer()}, {@code StreamInputBuffer.swallowUnread()},
 * {@code StreamException.getStreamId()}, {@code Http2Exception.getError()}, {@code StreamStateMachine.state},
 * {@code Http2Error}), looked up once per class. Only resets use this class; a normal response never does.
 */
public final class TomcatDeferredResets {

    /** What {@link #onClose} returns to hold the reset back: the advice skips {@code Stream.close}. */
    public static final Object HOLD = new Object();

    /** The most resets held back per connection (the same limit as Netty's and Jetty's). */
    public static final int MAX_PER_CONNECTION = DeferredResets.MAX_PER_CONNECTION;

    static final String STREAM_EXCEPTION = "org.apache.coyote.http2.StreamException";

    private static final AgentTimer TIMER = new AgentTimer("h2patch-tomcat-resets", true);

    /** Held resets by connection ({@code Http2UpgradeHandler}, by identity); guarded by itself. */
    private static final Map<Object, List<Deferral>> HELD = new IdentityHashMap<Object, List<Deferral>>();

    private static volatile int heldCount;

    private static volatile Reflection reflection;

    private TomcatDeferredResets() {
    }

    /** Whether any reset is held back in this JVM: the advice's fast path, one volatile read. */
    public static boolean anyHeld() {
        return heldCount > 0;
    }

    /** One held reset. */
    static final class Deferral {
        final Object connection;
        final Object stream;
        final Object state;
        final Object exception;
        final int streamId;
        final String errorName;
        long bytes;
        boolean firing;
        Future<?> timer;

        Deferral(Object connection, Object stream, Object state, Object exception, int streamId, String errorName) {
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
        // Read once the deferral is visible to onData (both sides go through volatile fields): a small frame that
        // races this decision is either seen here or ends the hold there. Read before reserving, a first small frame
        // that arrived in between was swallowed by the hold and the second one cost the connection (seen on 9.0.124).
        if (deferral != null && !TomcatProxySafeReset.holdsAfterDataOf(lastNonFinalDataPayload(connection),
                overheadDataThreshold(connection))) {
            synchronized (HELD) {
                if (deferral.firing) {
                    return HOLD; // onData already sent the reset through Tomcat's own close
                }
                remove(deferral);
            }
            deferral = null;
        }
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

    /**
     * A DATA frame of {@code payload} bytes arrives on {@code streamId} of {@code connection} ({@code endOfStream}: it
     * ends the request): counted against {@code reset-defer-bytes} when the stream's reset is held; past the bound, or
     * on a small non-final frame that Tomcat's overhead protection counts
     * ({@link TomcatProxySafeReset#endsHoldOnData}), the reset is sent at once (counted as {@code deferred-bytes}).
     */
    public static void onData(Object connection, int streamId, long payload, boolean endOfStream) {
        Deferral d = null;
        synchronized (HELD) {
            List<Deferral> list = HELD.get(connection);
            if (list != null) {
                for (Deferral candidate : list) {
                    if (candidate.streamId == streamId && !candidate.firing) {
                        candidate.bytes += payload;
                        if (candidate.bytes > H2patchRuntime.resetDeferBytes || TomcatProxySafeReset.endsHoldOnData(
                                payload, endOfStream, overheadDataThreshold(connection))) {
                            d = candidate;
                        }
                    }
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
     * {@code connection.protocol.getOverheadDataThreshold()} ({@code Http2UpgradeHandler}'s protected final field, the
     * same on 9.0.70 to 11.0); 0 (no such protection) when it cannot be read, as on a stand-in.
     */
    static int overheadDataThreshold(Object connection) {
        try {
            Field field = PROTOCOL.get(connection.getClass());
            Object protocol = field == null ? null : field.get(connection);
            Method threshold = protocol == null ? null : THRESHOLD.get(protocol.getClass());
            return threshold == null ? 0 : ((Integer) threshold.invoke(protocol)).intValue();
        } catch (Exception e) {
            return 0;
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
    private static final ClassValue<Method> THRESHOLD = new ClassValue<Method>() {
        @Override
        protected Method computeValue(Class<?> type) {
            try {
                return type.getMethod("getOverheadDataThreshold");
            } catch (NoSuchMethodException e) {
                return null;
            }
        }
    };

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
        synchronized (HELD) {
            for (List<Deferral> list : HELD.values()) {
                all.addAll(list);
            }
        }
        for (Deferral d : all) {
            fire(d, false);
        }
        TIMER.stop();
    }

    /** How many resets are held back on {@code connection} (tests). */
    static int heldOn(Object connection) {
        synchronized (HELD) {
            List<Deferral> list = HELD.get(connection);
            return list == null ? 0 : list.size();
        }
    }

    static Deferral reserve(Object connection, Object stream, Object state, Object exception, int streamId,
            String errorName) {
        synchronized (HELD) {
            List<Deferral> list = HELD.get(connection);
            if (list == null) {
                list = new ArrayList<Deferral>();
                HELD.put(connection, list);
            }
            if (list.size() >= MAX_PER_CONNECTION) {
                return null;
            }
            Deferral d = new Deferral(connection, stream, state, exception, streamId, errorName);
            list.add(d);
            heldCount++;
            return d;
        }
    }

    /** Removes {@code d}; false if it was gone already (ended by another path). Cancels its timer. */
    static boolean remove(Deferral d) {
        synchronized (HELD) {
            List<Deferral> list = HELD.get(d.connection);
            if (list == null || !list.remove(d)) {
                return false;
            }
            if (list.isEmpty()) {
                HELD.remove(d.connection);
            }
            heldCount--;
        }
        Future<?> timer = d.timer;
        if (timer != null) {
            timer.cancel(false);
        }
        return true;
    }

    static Deferral find(Object connection, Object stream) {
        if (heldCount == 0) {
            return null;
        }
        synchronized (HELD) {
            List<Deferral> list = HELD.get(connection);
            if (list != null) {
                for (Deferral d : list) {
                    if (d.stream == stream) {
                        return d;
                    }
                }
            }
            return null;
        }
    }

    private static Deferral findByStream(Object stream) {
        synchronized (HELD) {
            for (List<Deferral> list : HELD.values()) {
                for (Deferral d : list) {
                    if (d.stream == stream) {
                        return d;
                    }
                }
            }
            return null;
        }
    }

    /** Sends the held reset at the time bound, {@code millis} from now. */
    private static void scheduleTimeBound(final Deferral d, long millis) {
        Runnable task = new Runnable() {
            @Override
            public void run() {
                fire(d, false);
            }
        };
        synchronized (HELD) {
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
        synchronized (HELD) {
            List<Deferral> list = HELD.get(d.connection);
            if (d.firing || list == null || !list.contains(d)) {
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
            synchronized (HELD) {
                List<Deferral> list = HELD.get(d.connection);
                if (list != null && list.remove(d)) {
                    if (list.isEmpty()) {
                        HELD.remove(d.connection);
                    }
                    heldCount--;
                }
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
