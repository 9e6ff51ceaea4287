package dev.h2patch;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.jar.asm.AnnotationVisitor;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.Handle;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;

/**
 * What one advice class, as it is inlined (relocated for a relocated library), touches outside itself: the library
 * members it calls or reads, the fields of the patched type it reads with {@code @Advice.FieldValue}, and the packages
 * of every type it names.
 *
 * <p>Two users: {@link Compatibility} checks that the library in a class loader has every member (a fix whose advice
 * calls a method a library version lacks is skipped whole, rather than failing with {@code NoSuchMethodError} on
 * every call), and {@link Installer} gives a patched class in a named module read access to the modules of those
 * packages (inlined code runs with the access rights of the class it is inlined into).
 *
 * <p>Read from the advice's class file (never loaded), once per advice class and relocation.
 */
final class AdviceReferences {

    private static final ClassLoader AGENT_LOADER = AdviceReferences.class.getClassLoader();
    private static final Map<String, AdviceReferences> CACHE = new ConcurrentHashMap<String, AdviceReferences>();

    /** A field or method the advice uses on a type that is not its own. */
    static final class Member {
        final String owner;
        final String name;
        final String descriptor;
        final boolean field;

        Member(String owner, String name, String descriptor, boolean field) {
            this.owner = owner;
            this.name = name;
            this.descriptor = descriptor;
            this.field = field;
        }

        @Override
        public String toString() {
            return owner + (field ? "." + name : "." + name + descriptor);
        }
    }

    /** Packages (dotted) of every type the advice names, its own excluded. */
    final Set<String> packages = new LinkedHashSet<String>();
    /** Library members (not java.*, not the agent's) the advice uses, in the order they appear. */
    final List<Member> members = new ArrayList<Member>();
    /** Library types (dotted) the advice names, not java.*, not the agent's. */
    final Set<String> types = new LinkedHashSet<String>();
    /** Names of the patched type's fields the advice reads or writes with {@code @Advice.FieldValue}. */
    final Set<String> fieldValues = new LinkedHashSet<String>();

    private AdviceReferences() {
    }

    static AdviceReferences of(Class<?> adviceClass, Relocation relocation) {
        String key = adviceClass.getName() + "|" + relocation.label();
        AdviceReferences references = CACHE.get(key);
        if (references == null) {
            references = read(adviceClass.getName(), relocation);
            CACHE.put(key, references);
        }
        return references;
    }

    /** The packages of every advice of {@code patch} under {@code relocation}. */
    static Set<String> packages(TypePatch patch, Relocation relocation) {
        Set<String> packages = new LinkedHashSet<String>();
        for (TypePatch.MethodAdvice method : patch.advice()) {
            packages.addAll(of(method.adviceClass(), relocation).packages);
        }
        return packages;
    }

    private static AdviceReferences read(String adviceName, Relocation relocation) {
        byte[] classFile;
        try {
            ClassFileLocator.Resolution resolution = ClassFileLocator.ForClassLoader.of(AGENT_LOADER).locate(adviceName);
            classFile = resolution.resolve();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the advice class " + adviceName, e);
        }
        if (!relocation.isNone()) {
            classFile = new RelocatingClassFileLocator(AGENT_LOADER, relocation).relocate(classFile);
        }
        final AdviceReferences references = new AdviceReferences();
        final String self = adviceName.replace('.', '/');
        new ClassReader(classFile).accept(new ClassVisitor(Opcodes.ASM9) {
            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                             String[] exceptions) {
                references.descriptor(descriptor, self);
                return new MethodVisitor(Opcodes.ASM9) {
                    @Override
                    public AnnotationVisitor visitParameterAnnotation(int parameter, String annotation,
                                                                      boolean visible) {
                        if (!annotation.endsWith("/asm/Advice$FieldValue;")) {
                            return null;
                        }
                        return new AnnotationVisitor(Opcodes.ASM9) {
                            @Override
                            public void visit(String attribute, Object value) {
                                if ("value".equals(attribute) && value instanceof String) {
                                    references.fieldValues.add((String) value);
                                }
                            }
                        };
                    }

                    @Override
                    public void visitTypeInsn(int opcode, String type) {
                        references.type(Type.getObjectType(type), self);
                    }

                    @Override
                    public void visitFieldInsn(int opcode, String owner, String name, String descriptor) {
                        references.member(owner, name, descriptor, true, self);
                    }

                    @Override
                    public void visitMethodInsn(int opcode, String owner, String name, String descriptor,
                                                boolean isInterface) {
                        references.member(owner, name, descriptor, false, self);
                    }

                    @Override
                    public void visitLdcInsn(Object value) {
                        if (value instanceof Type) {
                            references.type((Type) value, self);
                        }
                    }

                    @Override
                    public void visitInvokeDynamicInsn(String name, String descriptor, Handle bootstrap,
                                                       Object... arguments) {
                        references.descriptor(descriptor, self);
                    }

                    @Override
                    public void visitMultiANewArrayInsn(String descriptor, int dimensions) {
                        references.type(Type.getType(descriptor), self);
                    }

                    @Override
                    public void visitTryCatchBlock(net.bytebuddy.jar.asm.Label start, net.bytebuddy.jar.asm.Label end,
                                                   net.bytebuddy.jar.asm.Label handler, String type) {
                        if (type != null) {
                            references.type(Type.getObjectType(type), self);
                        }
                    }
                };
            }
        }, ClassReader.SKIP_FRAMES);
        return references;
    }

    private void member(String owner, String name, String descriptor, boolean field, String self) {
        type(Type.getObjectType(owner), self);
        if (field) {
            type(Type.getType(descriptor), self);
        } else {
            descriptor(descriptor, self);
        }
        if (isLibrary(owner, self)) {
            for (Member known : members) {
                if (known.owner.equals(owner) && known.name.equals(name) && known.descriptor.equals(descriptor)) {
                    return;
                }
            }
            members.add(new Member(owner.replace('/', '.'), name, descriptor, field));
        }
    }

    private void descriptor(String methodDescriptor, String self) {
        Type method = Type.getMethodType(methodDescriptor);
        type(method.getReturnType(), self);
        for (Type argument : method.getArgumentTypes()) {
            type(argument, self);
        }
    }

    private void type(Type type, String self) {
        while (type.getSort() == Type.ARRAY) {
            type = type.getElementType();
        }
        if (type.getSort() != Type.OBJECT) {
            return;
        }
        String internal = type.getInternalName();
        if (internal.equals(self)) {
            return;
        }
        int slash = internal.lastIndexOf('/');
        if (slash > 0) {
            packages.add(internal.substring(0, slash).replace('/', '.'));
        }
        if (isLibrary(internal, self)) {
            types.add(internal.replace('/', '.'));
        }
    }

    /** A type of the patched library: not the JDK's, not the agent's (its helpers, its advice). */
    private static boolean isLibrary(String internalName, String self) {
        return !internalName.equals(self) && !internalName.startsWith("java/") && !internalName.startsWith("javax/")
                && !internalName.startsWith("dev/h2patch/");
    }
}
