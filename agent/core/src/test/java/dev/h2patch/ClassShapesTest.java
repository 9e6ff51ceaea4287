package dev.h2patch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The fit check reads declarations from class files; its method rule is the weaver's (AdviceWeaver.methodMatcher). */
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

    private static TypePatch.MethodAdvice advice(String name, String... parameters) {
        return TypePatch.type(Sample.class.getName()).advise(Object.class, name, parameters).advice().get(0);
    }
}
