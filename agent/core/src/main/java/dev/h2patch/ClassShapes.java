package dev.h2patch;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassVisitor;
import net.bytebuddy.jar.asm.FieldVisitor;
import net.bytebuddy.jar.asm.MethodVisitor;
import net.bytebuddy.jar.asm.Opcodes;
import net.bytebuddy.jar.asm.Type;
import net.bytebuddy.utility.OpenedClassReader;

/**
 * The declarations of a class loader's classes, read from their class files without loading them: the supertypes and
 * the declared fields and methods (name, descriptor, access), nothing else. This is all {@link Compatibility} asks.
 *
 * <p>Why not Byte Buddy's {@code TypePool}: it models generics, annotations and lazily resolved descriptions that the
 * fit check never reads. One ASM pass that skips code, frames and debug information reads what the check needs. On
 * netty-server (issue 20, 2 CPUs) the check of Netty's first advised class went from 270-280 ms to about 40 ms; most
 * of that time moved to the weave, which now loads the Byte Buddy classes the check used to load first, so together
 * with the one-pass weave ({@link AdviceWeaver#weave}) the agent's start-up cost fell by about 75 ms, not 230 (8
 * interleaved start-ups per side: +652 → +577 ms median to the first answer, +90 → +55 ms on the first connection).
 *
 * <p>Thread-safe; a class file is read at most once per instance (a concurrent first read may read it twice).
 */
final class ClassShapes {

    /** One class's declarations. Names are binary names with dots, as {@link Class#getName()} gives them. */
    static final class Shape {
        final String name;
        /** {@code null} for {@code java.lang.Object} and for interfaces without a super class entry. */
        final String superName;
        final List<String> interfaces;
        final List<Member> fields;
        final List<Member> methods;

        Shape(String name, String superName, List<String> interfaces, List<Member> fields, List<Member> methods) {
            this.name = name;
            this.superName = superName;
            this.interfaces = interfaces;
            this.fields = fields;
            this.methods = methods;
        }
    }

    /** A declared field or method: its name ({@code <init>} for a constructor), descriptor and access flags. */
    static final class Member {
        final String name;
        final String descriptor;
        final int access;

        Member(String name, String descriptor, int access) {
            this.name = name;
            this.descriptor = descriptor;
            this.access = access;
        }

        boolean isBridge() {
            return (access & Opcodes.ACC_BRIDGE) != 0;
        }

        /** The parameter types, named as {@link Class#getName()} names them ({@code int}, {@code [B}, {@code a.B}). */
        List<String> parameterTypeNames() {
            Type[] arguments = Type.getArgumentTypes(descriptor);
            List<String> names = new ArrayList<String>(arguments.length);
            for (Type argument : arguments) {
                names.add(binaryName(argument));
            }
            return names;
        }
    }

    private static final Shape MISSING = new Shape("", null, Collections.<String>emptyList(),
            Collections.<Member>emptyList(), Collections.<Member>emptyList());

    private final ClassFileLocator locator;
    private final ConcurrentMap<String, Shape> shapes = new ConcurrentHashMap<String, Shape>();

    ClassShapes(ClassFileLocator locator) {
        this.locator = locator;
    }

    static ClassShapes of(ClassLoader classLoader) {
        return new ClassShapes(classLoader == null
                ? ClassFileLocator.ForClassLoader.ofBootLoader()
                : ClassFileLocator.ForClassLoader.of(classLoader));
    }

    /** The declarations of {@code typeName} (dotted), or {@code null} when the loader has no class file for it. */
    Shape describe(String typeName) {
        Shape shape = shapes.get(typeName);
        if (shape == null) {
            shape = read(typeName);
            shapes.putIfAbsent(typeName, shape);
        }
        return shape == MISSING ? null : shape;
    }

    private Shape read(String typeName) {
        byte[] classFile;
        try {
            ClassFileLocator.Resolution resolution = locator.locate(typeName);
            if (!resolution.isResolved()) {
                return MISSING;
            }
            classFile = resolution.resolve();
        } catch (IOException e) {
            return MISSING;
        }
        return parse(classFile);
    }

    static Shape parse(byte[] classFile) {
        final String[] header = new String[2];
        final List<String> interfaces = new ArrayList<String>();
        final List<Member> fields = new ArrayList<Member>();
        final List<Member> methods = new ArrayList<Member>();
        ClassReader reader = OpenedClassReader.of(classFile);
        reader.accept(new ClassVisitor(OpenedClassReader.ASM_API) {
            @Override
            public void visit(int version, int access, String name, String signature, String superName,
                              String[] implemented) {
                header[0] = name.replace('/', '.');
                header[1] = superName == null ? null : superName.replace('/', '.');
                if (implemented != null) {
                    for (String type : implemented) {
                        interfaces.add(type.replace('/', '.'));
                    }
                }
            }

            @Override
            public FieldVisitor visitField(int access, String name, String descriptor, String signature, Object value) {
                fields.add(new Member(name, descriptor, access));
                return null;
            }

            @Override
            public MethodVisitor visitMethod(int access, String name, String descriptor, String signature,
                                             String[] exceptions) {
                methods.add(new Member(name, descriptor, access));
                return null;
            }
        }, ClassReader.SKIP_CODE | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        return new Shape(header[0], header[1], interfaces, fields, methods);
    }

    private static String binaryName(Type type) {
        switch (type.getSort()) {
            case Type.ARRAY:
                return type.getDescriptor().replace('/', '.');
            case Type.OBJECT:
                return type.getInternalName().replace('/', '.');
            default:
                return type.getClassName(); // a primitive: int, long, boolean, ...
        }
    }
}
