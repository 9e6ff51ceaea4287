package dev.h2patch.bootstrap;

import java.lang.reflect.Field;

/**
 * Reads the last two messages a Netty channel has written but not yet flushed.
 *
 * <p>Netty's {@code ChannelOutboundBuffer} keeps written messages in a linked list of entries until they are
 * flushed; it offers no public way to look at the unflushed tail. The end-stream fix needs exactly that, and only on
 * a rare path (a zero-length DATA frame with END_STREAM about to be written), so it reads the private fields by
 * reflection. Works on plain and relocated (grpc-netty-shaded) Netty alike because it never names a Netty type; the
 * fields are looked up on whatever class the buffer is and cached per class.
 */
public final class OutboundTail {

    /** Beyond this many unflushed entries the tail is not worth looking for. */
    private static final int MAX_WALK = 1024;

    private static final ClassValue<Field[]> BUFFER_FIELDS = new ClassValue<Field[]>() {
        @Override
        protected Field[] computeValue(Class<?> type) {
            return fields(type, "unflushedEntry", "tailEntry");
        }
    };

    private static final ClassValue<Field[]> ENTRY_FIELDS = new ClassValue<Field[]>() {
        @Override
        protected Field[] computeValue(Class<?> type) {
            return fields(type, "next", "msg", "promise");
        }
    };

    private OutboundTail() {
    }

    /**
     * Returns {@code {secondToLastMsg, lastMsg, lastPromise}} for the unflushed part of {@code outboundBuffer}, or
     * {@code null} when fewer than two messages are unflushed or the buffer's shape is not the one expected.
     */
    public static Object[] lastTwoUnflushed(Object outboundBuffer) {
        if (outboundBuffer == null) {
            return null;
        }
        Field[] buffer = BUFFER_FIELDS.get(outboundBuffer.getClass());
        if (buffer.length == 0) {
            return null;
        }
        try {
            Object entry = buffer[0].get(outboundBuffer);
            Object tail = buffer[1].get(outboundBuffer);
            if (entry == null || tail == null || entry == tail) {
                return null;
            }
            Field[] fields = ENTRY_FIELDS.get(entry.getClass());
            if (fields.length == 0) {
                return null;
            }
            Object previous = null;
            for (int walked = 0; entry != tail; walked++) {
                if (entry == null || walked > MAX_WALK) {
                    return null;
                }
                previous = entry;
                entry = fields[0].get(entry);
            }
            return new Object[] {fields[1].get(previous), fields[1].get(tail), fields[2].get(tail)};
        } catch (IllegalAccessException e) {
            return null;
        }
    }

    private static Field[] fields(Class<?> type, String... names) {
        Field[] result = new Field[names.length];
        try {
            for (int i = 0; i < names.length; i++) {
                Field field = type.getDeclaredField(names[i]);
                field.setAccessible(true);
                result[i] = field;
            }
            return result;
        } catch (NoSuchFieldException e) {
            // Another Netty layout: the fix that asked simply does not apply.
            return new Field[0];
        } catch (RuntimeException e) {
            // Inaccessible (a named module that does not open the package, or a security manager): the same, but
            // end-stream (its only user) then folds less than it could, and that is reported once.
            AdviceFailures.failed(e, "end-stream", type);
            return new Field[0];
        }
    }
}
