package dev.h2patch;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The advice a fix applies to one type: for each method (by name and exact parameter types), one advice class.
 *
 * <p>Type names are strings, not classes: the agent never loads the libraries it patches, and a {@link Relocation}
 * can rewrite the names for a shaded copy of the library.
 */
public final class TypePatch {

    private final String typeName;
    private final boolean optional;
    private final List<MethodAdvice> advice = new ArrayList<MethodAdvice>();

    private TypePatch(String typeName, boolean optional) {
        this.typeName = typeName;
        this.optional = optional;
    }

    /** Starts a patch of the type with this fully qualified name. */
    public static TypePatch type(String typeName) {
        return new TypePatch(typeName, false);
    }

    /**
     * Starts a patch of a type that an application of the library may not have: one in an optional part of it, as
     * undertow-servlet is of Undertow. Where a class loader lacks the type, the fix still fits without this patch;
     * where it has it, the type must fit as any other, or the whole fix is skipped there.
     */
    public static TypePatch optionalType(String typeName) {
        return new TypePatch(typeName, true);
    }

    /**
     * Advises the method {@code name} whose parameters are exactly {@code parameterTypes} (fully qualified names as
     * {@link Class#getName()} gives them: primitives as {@code int}, {@code boolean}..., arrays as {@code [B}) with
     * {@code adviceClass}.
     */
    public TypePatch advise(Class<?> adviceClass, String name, String... parameterTypes) {
        advice.add(new MethodAdvice(name, Arrays.asList(parameterTypes), adviceClass));
        return this;
    }

    public String typeName() {
        return typeName;
    }

    /** Whether the fix fits a class loader that lacks this type ({@link #optionalType}). */
    public boolean optional() {
        return optional;
    }

    public List<MethodAdvice> advice() {
        return Collections.unmodifiableList(advice);
    }

    /** One method of the type and the advice class inlined into it. */
    public static final class MethodAdvice {
        private final String name;
        private final List<String> parameterTypes;
        private final Class<?> adviceClass;

        MethodAdvice(String name, List<String> parameterTypes, Class<?> adviceClass) {
            this.name = name;
            this.parameterTypes = parameterTypes;
            this.adviceClass = adviceClass;
        }

        public String name() {
            return name;
        }

        public List<String> parameterTypes() {
            return parameterTypes;
        }

        public Class<?> adviceClass() {
            return adviceClass;
        }

        /**
         * Whether a declared method is the one this advice names: the same name, exactly the parameter types under
         * the relocation (spelled as {@link Class#getName()} spells them: {@code [B} for {@code byte[]}), and not a
         * bridge method — javac can emit one with the same name and erased parameters as the real method (Netty's
         * {@code DefaultChannelPipeline.fireChannelRead}), and advice belongs on the method that does the work. The fit
         * check and the weaver both decide with this, so a fix that fits is a fix whose methods get advised.
         */
        public boolean isAdvised(String methodName, boolean bridge, List<String> parameterTypeNames,
                                 Relocation relocation) {
            if (bridge || !name.equals(methodName) || parameterTypeNames.size() != parameterTypes.size()) {
                return false;
            }
            for (int i = 0; i < parameterTypes.size(); i++) {
                if (!relocation.apply(parameterTypes.get(i)).equals(parameterTypeNames.get(i))) {
                    return false;
                }
            }
            return true;
        }

        /** {@code name(type, type, ...)}, for log lines. */
        public String signature(Relocation relocation) {
            StringBuilder text = new StringBuilder(name).append('(');
            for (int i = 0; i < parameterTypes.size(); i++) {
                text.append(i == 0 ? "" : ", ").append(relocation.apply(parameterTypes.get(i)));
            }
            return text.append(')').toString();
        }
    }
}
