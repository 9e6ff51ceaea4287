package dev.h2patch.bootstrap;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;

/**
 * What the early-settings fix looks at before it speaks for a port sniffer: evidence that the process itself is
 * deciding the connection's protocol, and will serve it with its own HTTP/2 server codec, rather than passing the
 * client's bytes on to somewhere else.
 *
 * <p>An empty SETTINGS frame is the server's half of the HTTP/2 handshake (RFC 9113 §3.4). Written into a connection
 * that is relayed to another HTTP/2 server, it is a second server preface: the client acknowledges both, and the real
 * server receives an ACK for SETTINGS it never sent, which nghttp2 (Node's http2) treats as a connection error
 * (RFC 9113 §6.5.3 accounting). So the fix writes only where it finds, after the read was handled:
 * <ul>
 *   <li>a handler of the connection that <b>keeps</b> the client preface: an instance field of the handler (its class
 *       or a superclass: {@code ByteToMessageDecoder}'s cumulation counts) refers to a buffer whose readable bytes
 *       start with the 24-byte preface — the bytes are held undecided, not passed on;</li>
 *   <li>whose class loader sees the same HTTP/2 server codec class as the fix ({@link #canSee}): the handler can
 *       install that codec;</li>
 *   <li>and no handler that refers to another connection ({@link #refersToOther}): a relay keeps its backend
 *       connection in a field (Netty's HexDumpProxy example does), and a relay that buffers the first bytes while it
 *       connects would otherwise look like a sniffer.</li>
 * </ul>
 *
 * <p>Reflection only, no library types (this class is on the boot class path): the caller passes the library's
 * buffer and connection types. The field list of each class is computed once ({@link ClassValue}). On the module
 * path the agent opens a handler's package to these helpers ({@link H2patchRuntime#moduleOpener}, one log line per
 * package) so that its fields can be read; a field that still cannot be made accessible is left out, which can only
 * make the fix write less. These checks run only for a read that starts with the client preface on a connection that has no
 * HTTP/2 codec yet: once per sniffed HTTP/2 connection, never per frame.
 */
public final class SnifferEvidence {

    private static final Field[] NONE = new Field[0];

    /** Per class: its instance fields and its superclasses', of a non-JDK reference type, made accessible. */
    private static final ClassValue<Field[]> FIELDS = new ClassValue<Field[]>() {
        @Override
        protected Field[] computeValue(Class<?> type) {
            List<Field> fields = new ArrayList<Field>();
            for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
                Field[] declared;
                try {
                    declared = c.getDeclaredFields();
                } catch (Throwable e) {
                    continue; // a field type that does not resolve: nothing to read in this class
                }
                for (Field field : declared) {
                    Class<?> fieldType = field.getType();
                    if (Modifier.isStatic(field.getModifiers()) || fieldType.isPrimitive() || fieldType.isArray()
                            || fieldType.getName().startsWith("java.")) {
                        continue; // a constant, a number, or a JDK type: never a library buffer or connection
                    }
                    try {
                        field.setAccessible(true);
                        fields.add(field);
                    } catch (RuntimeException closed) {
                        // A named module that does not open the package to us: the agent opens it (to the helpers
                        // only) when it can; otherwise the field is left out, which can only make the fix write less.
                        if (openToHelpers(c)) {
                            try {
                                field.setAccessible(true);
                                fields.add(field);
                            } catch (RuntimeException stillClosed) {
                                // left out
                            }
                        }
                    }
                }
            }
            return fields.isEmpty() ? NONE : fields.toArray(NONE);
        }
    };

    private SnifferEvidence() {
    }

    private static boolean openToHelpers(Class<?> type) {
        java.util.function.BiConsumer<Class<?>, Class<?>> opener = H2patchRuntime.moduleOpener;
        if (opener == null) {
            return false;
        }
        try {
            opener.accept(type, SnifferEvidence.class);
            return true;
        } catch (Throwable refused) {
            return false;
        }
    }

    /**
     * The non-null values of {@code instance}'s instance fields (its class and superclasses) whose declared type is
     * {@code type} or a subtype of it; an empty array when there are none.
     */
    public static Object[] values(Object instance, Class<?> type) {
        Field[] fields = FIELDS.get(instance.getClass());
        List<Object> values = null;
        for (Field field : fields) {
            if (!type.isAssignableFrom(field.getType())) {
                continue;
            }
            Object value;
            try {
                value = field.get(instance);
            } catch (Exception e) {
                continue;
            }
            if (value != null) {
                if (values == null) {
                    values = new ArrayList<Object>(2);
                }
                values.add(value);
            }
        }
        return values == null ? new Object[0] : values.toArray();
    }

    /**
     * Whether {@code instance} has an instance field of type {@code connectionType} (or a subtype) that refers to a
     * connection other than {@code own} and {@code ownParent} (its listening socket): the mark of a relay.
     */
    public static boolean refersToOther(Object instance, Class<?> connectionType, Object own, Object ownParent) {
        for (Object value : values(instance, connectionType)) {
            if (value != own && value != ownParent) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a buffer found in a handler's field ({@link #values}) could be keeping the client preface undecided, so
     * that its first 24 readable bytes are worth comparing ({@link Http2Frames#isClientPreface}): it is still alive
     * ({@code refCnt > 0}), writable — a buffer that accumulates what was read, not a read-only constant a sniffer
     * compares against — and holds at least the preface's 24 bytes.
     */
    public static boolean couldHoldPreface(int refCnt, boolean readOnly, int readableBytes) {
        return refCnt > 0 && !readOnly && readableBytes >= Http2Frames.PREFACE_LENGTH;
    }

    /**
     * Whether {@code holder}'s class loader resolves {@code codec}'s name to that very class: code loaded there can
     * install the HTTP/2 server codec the fix knows (and accounts for). False when it cannot be told.
     */
    public static boolean canSee(Class<?> holder, Class<?> codec) {
        ClassLoader loader = holder.getClassLoader();
        if (loader == codec.getClassLoader()) {
            return true;
        }
        try {
            return Class.forName(codec.getName(), false, loader) == codec;
        } catch (Throwable e) {
            return false;
        }
    }
}
