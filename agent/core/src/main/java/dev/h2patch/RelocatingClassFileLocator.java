package dev.h2patch;

import java.io.IOException;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.jar.asm.commons.ClassRemapper;
import net.bytebuddy.jar.asm.commons.Remapper;

/**
 * Serves the agent's advice classes with every reference to a library's package rewritten to a relocated package,
 * so that one advice source is inlined into both {@code io.netty} and grpc-java's {@code io.grpc.netty.shaded.io.netty}.
 *
 * <p>It only serves the agent's own advice classes; anything else is left to the next locator (the patched class's
 * own loader), and the bootstrap helpers are never rewritten (they name no library type).
 */
final class RelocatingClassFileLocator implements ClassFileLocator {

    private final ClassFileLocator agentClasses;
    private final Relocation relocation;

    RelocatingClassFileLocator(ClassLoader agentLoader, Relocation relocation) {
        this.agentClasses = ClassFileLocator.ForClassLoader.of(agentLoader);
        this.relocation = relocation;
    }

    @Override
    public Resolution locate(String name) throws IOException {
        if (!name.startsWith("dev.h2patch.") || name.startsWith("dev.h2patch.bootstrap.")) {
            return new Resolution.Illegal(name);
        }
        Resolution original = agentClasses.locate(name);
        if (!original.isResolved()) {
            return original;
        }
        return new Resolution.Explicit(relocate(original.resolve()));
    }

    byte[] relocate(byte[] classFile) {
        ClassReader reader = new ClassReader(classFile);
        ClassWriter writer = new ClassWriter(0);
        reader.accept(new ClassRemapper(writer, new Remapper() {
            @Override
            public String map(String internalName) {
                return relocation.applyInternal(internalName);
            }
        }), 0);
        return writer.toByteArray();
    }

    @Override
    public void close() throws IOException {
        agentClasses.close();
    }
}
