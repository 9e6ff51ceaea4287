package dev.h2patch;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import net.bytebuddy.jar.asm.ClassReader;

/**
 * The size in bytes of a method's bytecode once a fix's advice is woven into it, as the agent weaves it. HotSpot's C2
 * inlines a hot callee only while its bytecode is at most {@code -XX:FreqInlineSize} (325 bytes on x64): advice that
 * pushes a small per-request method past that makes every caller pay a call it did not pay without the agent
 * (docs/libraries/netty.md, "The inlining budget"). Shipped in h2patch-core's test-jar for the fix modules' tests.
 */
public final class WovenCodeSizes {

    /** C2's default {@code FreqInlineSize} on x64 (JDK 8 through 25). */
    public static final int FREQ_INLINE_SIZE = 325;

    private WovenCodeSizes() {
    }

    /**
     * Code length of every method of {@code patch}'s type, by name and descriptor, after {@code fix}'s advice for that
     * type is woven in; the type's class file comes from {@code loader}.
     */
    public static Map<String, Integer> woven(Fix fix, TypePatch patch, ClassLoader loader) throws IOException {
        byte[] original = classFile(patch.typeName(), loader);
        return codeLengths(AdviceWeaver.weave(patch.typeName(), original, loader,
                Collections.singletonList(new AdviceWeaver.Target(fix, Relocation.NONE, patch))));
    }

    /** Code length of every method of the type as {@code loader} has it, without advice. */
    public static Map<String, Integer> original(String typeName, ClassLoader loader) throws IOException {
        return codeLengths(classFile(typeName, loader));
    }

    private static byte[] classFile(String typeName, ClassLoader loader) throws IOException {
        try (InputStream in = loader.getResourceAsStream(typeName.replace('.', '/') + ".class")) {
            if (in == null) {
                throw new IOException("no class file for " + typeName);
            }
            return in.readAllBytes();
        }
    }

    /** Reads the {@code code_length} of each method's Code attribute (JVMS §4.7.3); ASM does not report it. */
    static Map<String, Integer> codeLengths(byte[] classFile) {
        ClassReader reader = new ClassReader(classFile);
        ByteBuffer bytes = ByteBuffer.wrap(classFile);
        char[] chars = new char[reader.getMaxStringLength()];
        int at = reader.header + 6; // access_flags, this_class, super_class
        at += 2 + 2 * u2(bytes, at); // interfaces
        int fields = u2(bytes, at);
        at += 2;
        for (int i = 0; i < fields; i++) {
            at = skipAttributes(bytes, at + 6);
        }
        Map<String, Integer> lengths = new HashMap<String, Integer>();
        int methods = u2(bytes, at);
        at += 2;
        for (int i = 0; i < methods; i++) {
            String key = reader.readUTF8(at + 2, chars) + reader.readUTF8(at + 4, chars);
            int attributes = u2(bytes, at + 6);
            at += 8;
            for (int j = 0; j < attributes; j++) {
                int length = bytes.getInt(at + 2);
                if ("Code".equals(reader.readUTF8(at, chars))) {
                    lengths.put(key, bytes.getInt(at + 10)); // after max_stack and max_locals
                }
                at += 6 + length;
            }
        }
        return lengths;
    }

    private static int skipAttributes(ByteBuffer bytes, int at) {
        int attributes = u2(bytes, at);
        at += 2;
        for (int i = 0; i < attributes; i++) {
            at += 6 + bytes.getInt(at + 2);
        }
        return at;
    }

    private static int u2(ByteBuffer bytes, int at) {
        return bytes.getShort(at) & 0xffff;
    }
}
