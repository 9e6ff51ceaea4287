package dev.h2patch;

import dev.h2patch.bootstrap.AdviceFailures;
import java.util.ArrayList;
import java.util.List;
import net.bytebuddy.ClassFileVersion;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.description.type.TypeList;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.scaffold.TypeInitializer;
import net.bytebuddy.implementation.Implementation;
import net.bytebuddy.implementation.auxiliary.AuxiliaryType;
import net.bytebuddy.implementation.bytecode.StackManipulation;
import net.bytebuddy.implementation.bytecode.constant.ClassConstant;
import net.bytebuddy.implementation.bytecode.constant.TextConstant;
import net.bytebuddy.implementation.bytecode.member.MethodInvocation;
import net.bytebuddy.jar.asm.ClassReader;
import net.bytebuddy.jar.asm.ClassWriter;
import net.bytebuddy.matcher.ElementMatcher;
import net.bytebuddy.pool.TypePool;
import net.bytebuddy.utility.OpenedClassReader;

/**
 * Inlines the advice of the fixes that fit into one class file, with Byte Buddy's {@link Advice}: the only class of
 * the installer that uses Byte Buddy, so that Byte Buddy is loaded when the first advised type is, not at start-up.
 *
 * <p>The class is decorated, never rebased: no field, method or type initializer is added (the class format does not
 * change), which is what retransformation requires and what lets a detach restore the original bytecode.
 */
final class AdviceWeaver {

    private static final ClassLoader AGENT_LOADER = AdviceWeaver.class.getClassLoader();

    private AdviceWeaver() {
    }

    /** One fix's patch of one type, under one relocation. */
    static final class Target {
        final Fix fix;
        final Relocation relocation;
        final TypePatch patch;

        Target(Fix fix, Relocation relocation, TypePatch patch) {
            this.fix = fix;
            this.relocation = relocation;
            this.patch = patch;
        }
    }

    /**
     * The class file of {@code typeName} with every target's advice inlined.
     *
     * <p>One ASM pass, reader → Advice's method visitors → writer, the pass Byte Buddy's {@code decorate(...).make()}
     * makes for a frozen type, without the dynamic-type machinery around it (builder, method registry, type writer):
     * on a cold JVM that machinery was about a fifth of the classes the first weave loads (docs/performance.md, "Where
     * the start-up goes"). The writer starts from the reader, so the methods no advice matches are copied as they are.
     */
    static byte[] weave(String typeName, byte[] classFile, ClassLoader loader, List<Target> targets) {
        ClassFileLocator typeLocator = new ClassFileLocator.Compound(
                ClassFileLocator.Simple.of(typeName, classFile),
                loader == null ? ClassFileLocator.ForClassLoader.ofBootLoader() : ClassFileLocator.ForClassLoader.of(loader));
        TypePool typePool = TypePool.Default.WithLazyResolution.of(typeLocator);
        TypeDescription patched = typePool.describe(typeName).resolve();
        List<AsmVisitorWrapper> wrappers = new ArrayList<AsmVisitorWrapper>(targets.size());
        for (Target target : targets) {
            // Advice classes come from the agent (relocated for a relocated library); the types they name, from the
            // patched class's loader.
            ClassFileLocator adviceLocator = new ClassFileLocator.Compound(target.relocation.isNone()
                    ? ClassFileLocator.ForClassLoader.of(AGENT_LOADER)
                    : new RelocatingClassFileLocator(AGENT_LOADER, target.relocation), typeLocator);
            TypePool advicePool = TypePool.Default.WithLazyResolution.of(adviceLocator);
            AsmVisitorWrapper.ForDeclaredMethods methods = new AsmVisitorWrapper.ForDeclaredMethods();
            for (TypePatch.MethodAdvice method : target.patch.advice()) {
                TypeDescription advice = advicePool.describe(method.adviceClass().getName()).resolve();
                methods = methods.invokable(methodMatcher(method, target.relocation),
                        Advice.to(advice, adviceLocator).withExceptionHandler(failureHandler(target.fix, patched)));
            }
            wrappers.add(methods);
        }
        AsmVisitorWrapper wrapper = new AsmVisitorWrapper.Compound(wrappers);
        int writerFlags = wrapper.mergeWriter(AsmVisitorWrapper.NO_FLAGS);
        int readerFlags = wrapper.mergeReader(AsmVisitorWrapper.NO_FLAGS);
        if ((writerFlags & ClassWriter.COMPUTE_FRAMES) != 0) {
            // ASM would compute frames by loading classes; Advice writes its own, so this never happens.
            throw new IllegalStateException("advice asks for computed frames");
        }
        ClassReader reader = OpenedClassReader.of(classFile);
        ClassWriter writer = new ClassWriter(reader, writerFlags);
        ClassFileVersion version = ClassFileVersion.ofClassFile(classFile);
        Implementation.Context.ExtractableView context = Implementation.Context.Disabled.Factory.INSTANCE.make(patched,
                new AuxiliaryType.NamingStrategy.Suffixing("h2patch"), TypeInitializer.None.INSTANCE, version, version,
                Implementation.Context.FrameGeneration.DISABLED);
        reader.accept(wrapper.wrap(patched, writer, context, typePool, patched.getDeclaredFields(),
                patched.getDeclaredMethods(), writerFlags, readerFlags), readerFlags);
        return writer.toByteArray();
    }

    /**
     * What an advice does with a throwable it suppressed: {@code AdviceFailures.failed(thrown, "<fix>", Patched.class)}
     * (the throwable is on the operand stack; the fix's name and the patched class are pushed as constants), which
     * counts it as {@code <fix>.failed} and reports it once per fix and class loader. It replaces Byte Buddy's
     * {@code SUPPRESSING} handler, which only popped the throwable: a fix must never fail silently.
     */
    static Advice.ExceptionHandler failureHandler(Fix fix, TypeDescription patched) {
        return new Advice.ExceptionHandler.Simple(new StackManipulation.Compound(
                new TextConstant(fix.name()),
                ClassConstant.of(patched),
                MethodInvocation.invoke(FAILED)));
    }

    private static final MethodDescription.InDefinedShape FAILED = failedMethod();

    private static MethodDescription.InDefinedShape failedMethod() {
        try {
            return new MethodDescription.ForLoadedMethod(
                    AdviceFailures.class.getMethod("failed", Throwable.class, String.class, Class.class));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The methods {@link TypePatch.MethodAdvice#isAdvised} accepts, as a matcher of Byte Buddy's advice visitor. */
    static ElementMatcher<MethodDescription> methodMatcher(final TypePatch.MethodAdvice advice,
                                                           final Relocation relocation) {
        return new ElementMatcher<MethodDescription>() {
            @Override
            public boolean matches(MethodDescription method) {
                TypeList erasures = method.getParameters().asTypeList().asErasures();
                List<String> names = new ArrayList<String>(erasures.size());
                for (TypeDescription parameter : erasures) {
                    names.add(parameter.getName());
                }
                return advice.isAdvised(method.getInternalName(), method.isBridge(), names, relocation);
            }
        };
    }
}
