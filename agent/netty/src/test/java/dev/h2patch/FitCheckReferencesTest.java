package dev.h2patch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.netty.IdleStateChannelIdleAdvice;
import fittest.CallsLibAdvice;
import java.util.ArrayList;
import java.util.List;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.description.modifier.Visibility;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.implementation.FixedValue;
import net.bytebuddy.implementation.StubMethod;
import org.junit.jupiter.api.Test;

/** The fit check covers what the advice's own code touches: library members it calls or reads, and @FieldValue. */
class FitCheckReferencesTest {

    private static final ClassLoader LOADER = FitCheckReferencesTest.class.getClassLoader();

    @Test
    void adviceReferencesListLibraryMembersAndPackages() {
        AdviceReferences idle = AdviceReferences.of(IdleStateChannelIdleAdvice.class, Relocation.NONE);
        List<String> members = new ArrayList<String>();
        for (AdviceReferences.Member member : idle.members) {
            members.add(member.toString());
        }
        assertTrue(members.contains("io.netty.handler.codec.http2.Http2ConnectionHandler.connection()"
                + "Lio/netty/handler/codec/http2/Http2Connection;"), members.toString());
        assertTrue(idle.packages.contains("io.netty.handler.codec.http2"), idle.packages.toString());
        assertTrue(idle.packages.contains("dev.h2patch.bootstrap"), idle.packages.toString());
        for (String type : idle.types) {
            assertTrue(!type.startsWith("java.") && !type.startsWith("dev.h2patch."), type);
        }
        AdviceReferences calls = AdviceReferences.of(CallsLibAdvice.class, Relocation.NONE);
        assertEquals("[lib]", calls.fieldValues.toString());
    }

    @Test
    void everythingPresentFits() {
        ClassShapes shapes = new ClassShapes(ClassFileLocator.ForClassLoader.of(LOADER));
        assertNull(Compatibility.findMissingReference(shapes, shapes.describe("fittest.Patched"),
                AdviceReferences.of(CallsLibAdvice.class, Relocation.NONE)));
    }

    @Test
    void aLibraryVersionWithoutAMethodTheAdviceCallsDoesNotFit() {
        // The same library type without gone(): as if a later release had removed it.
        byte[] lib = new ByteBuddy().subclass(Object.class).name("fittest.Lib")
                .defineField("count", int.class, Visibility.PUBLIC)
                .defineMethod("kept", int.class, Visibility.PUBLIC).intercept(FixedValue.value(1))
                .make().getBytes();
        ClassShapes shapes = new ClassShapes(new ClassFileLocator.Compound(
                ClassFileLocator.Simple.of("fittest.Lib", lib), ClassFileLocator.ForClassLoader.of(LOADER)));
        assertEquals("fittest.Lib has no method gone()V", Compatibility.findMissingReference(shapes,
                shapes.describe("fittest.Patched"), AdviceReferences.of(CallsLibAdvice.class, Relocation.NONE)));
    }

    @Test
    void aLibraryVersionWithoutAFieldTheAdviceReadsDoesNotFit() {
        byte[] lib = new ByteBuddy().subclass(Object.class).name("fittest.Lib")
                .defineMethod("gone", void.class, Visibility.PUBLIC).intercept(StubMethod.INSTANCE)
                .defineMethod("kept", int.class, Visibility.PUBLIC).intercept(FixedValue.value(1))
                .make().getBytes();
        ClassShapes shapes = new ClassShapes(new ClassFileLocator.Compound(
                ClassFileLocator.Simple.of("fittest.Lib", lib), ClassFileLocator.ForClassLoader.of(LOADER)));
        assertEquals("fittest.Lib has no field count", Compatibility.findMissingReference(shapes,
                shapes.describe("fittest.Patched"), AdviceReferences.of(CallsLibAdvice.class, Relocation.NONE)));
    }

    @Test
    void aPatchedTypeWithoutTheFieldValueFieldDoesNotFit() {
        byte[] patched = new ByteBuddy().subclass(Object.class).name("fittest.Patched").make().getBytes();
        ClassShapes shapes = new ClassShapes(new ClassFileLocator.Compound(
                ClassFileLocator.Simple.of("fittest.Patched", patched), ClassFileLocator.ForClassLoader.of(LOADER)));
        assertEquals("fittest.Patched has no field lib", Compatibility.findMissingReference(shapes,
                shapes.describe("fittest.Patched"), AdviceReferences.of(CallsLibAdvice.class, Relocation.NONE)));
    }
}
