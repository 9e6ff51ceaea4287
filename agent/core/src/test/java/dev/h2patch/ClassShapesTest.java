package dev.h2patch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.reflect.Method;
import java.util.Arrays;
import java.util.List;
import net.bytebuddy.description.method.MethodDescription;
import org.junit.jupiter.api.Test;

/**
 * The fit check reads declarations from class files; it and the weaver pick advised methods by one rule
 * (TypePatch.MethodAdvice.isAdvised), so a fix that fits is a fix whose methods get advised.
 */
class ClassShapesTest {

    private final ClassShapes shapes = ClassShapes.of(getClass().getClassLoader());

    /** compareTo(Sample) and, from javac, a bridge compareTo(Object); an overload with an array. */
    static final class Sample implements Comparable<Sample> {
        int count;

        @Override
        public int compareTo(Sample other) {
            return 0;
        }

        void take(byte[] bytes, int[][] grid, String text, long value) {
        }
    }

    @Test
    void readsSupertypesFieldsAndMethodsWithoutLoading() {
        ClassShapes.Shape sample = shapes.describe(Sample.class.getName());
        assertEquals(Sample.class.getName(), sample.name);
        assertEquals("java.lang.Object", sample.superName);
        assertEquals(Arrays.asList("java.lang.Comparable"), sample.interfaces);
        assertEquals("count", sample.fields.get(0).name);
        assertNull(shapes.describe("dev.h2patch.NoSuchClass"));
    }

    @Test
    void advisesTheRealMethodNotItsBridge() {
        ClassShapes.Shape sample = shapes.describe(Sample.class.getName());
        assertEquals(1, Compatibility.countAdvisable(sample, advice("compareTo", Sample.class.getName()), Relocation.NONE));
        assertEquals(0, Compatibility.countAdvisable(sample, advice("compareTo", "java.lang.Object"), Relocation.NONE),
                "the bridge method is never advised");
    }

    @Test
    void namesParametersAsClassGetNameDoes() {
        ClassShapes.Shape sample = shapes.describe(Sample.class.getName());
        assertEquals(1, Compatibility.countAdvisable(sample,
                advice("take", byte[].class.getName(), int[][].class.getName(), "java.lang.String", "long"),
                Relocation.NONE));
        assertEquals(0, Compatibility.countAdvisable(sample, advice("take", "byte[]", "int[][]", "java.lang.String",
                "long"), Relocation.NONE));
    }

    @Test
    void appliesTheRelocationToParameterTypes() {
        ClassShapes.Shape sample = shapes.describe(Sample.class.getName());
        Relocation moved = Relocation.of("dev.h2patch.", "dev.h2patch.", "same");
        assertEquals(1, Compatibility.countAdvisable(sample, advice("compareTo", Sample.class.getName()), moved));
        Relocation elsewhere = Relocation.of("dev.h2patch.", "shaded.dev.h2patch.", "shaded");
        assertEquals(0, Compatibility.countAdvisable(sample, advice("compareTo", Sample.class.getName()), elsewhere));
    }

    @Test
    void theWeaverAdvisesExactlyTheMethodsTheFitCheckCounts() {
        ClassShapes.Shape sample = shapes.describe(Sample.class.getName());
        Relocation elsewhere = Relocation.of("dev.h2patch.", "shaded.dev.h2patch.", "shaded");
        List<TypePatch.MethodAdvice> advice = Arrays.asList(advice("compareTo", Sample.class.getName()),
                advice("compareTo", "java.lang.Object"),
                advice("take", byte[].class.getName(), int[][].class.getName(), "java.lang.String", "long"),
                advice("take", "byte[]", "int[][]", "java.lang.String", "long"));
        int advised = 0;
        for (Relocation relocation : Arrays.asList(Relocation.NONE, elsewhere)) {
            for (TypePatch.MethodAdvice one : advice) {
                int matched = 0;
                for (Method method : Sample.class.getDeclaredMethods()) {
                    if (AdviceWeaver.methodMatcher(one, relocation).matches(new MethodDescription.ForLoadedMethod(method))) {
                        matched++;
                    }
                }
                assertEquals(Compatibility.countAdvisable(sample, one, relocation), matched,
                        one.signature(relocation) + " under " + relocation);
                advised += matched;
            }
        }
        // compareTo(Sample) unrelocated only; take(...) as Class.getName() spells it under both (no type of it moves)
        assertEquals(3, advised);
    }

    private static TypePatch.MethodAdvice advice(String name, String... parameters) {
        return TypePatch.type(Sample.class.getName()).advise(Object.class, name, parameters).advice().get(0);
    }
}
