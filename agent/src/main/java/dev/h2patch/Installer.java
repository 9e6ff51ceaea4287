package dev.h2patch;

import static net.bytebuddy.matcher.ElementMatchers.isBridge;
import static net.bytebuddy.matcher.ElementMatchers.isSynthetic;
import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import java.lang.instrument.Instrumentation;
import java.security.ProtectionDomain;
import java.util.ArrayList;
import java.util.List;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.agent.builder.ResettableClassFileTransformer;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.dynamic.scaffold.TypeValidation;
import net.bytebuddy.matcher.ElementMatcher;
import net.bytebuddy.utility.JavaModule;

/**
 * The one place that turns the enabled {@link Fix fixes} into a Byte Buddy {@link AgentBuilder} and installs it.
 *
 * <p>Every advised type is matched by exact name (cheap on every class load). When one is loaded, the
 * {@link Compatibility} check confirms that the whole fix fits the library version in that class loader; only then is
 * the advice inlined. Classes already loaded (dynamic attach) are retransformed in batches. No fields or methods are
 * ever added, so the original bytecode can be restored on detach.
 */
final class Installer {

    /** Retransforming is a stop-the-world pause per batch: keep batches small (the Elastic agent's choice). */
    private static final int RETRANSFORM_BATCH = 100;

    private Installer() {
    }

    static ResettableClassFileTransformer install(Instrumentation instrumentation, List<Fix> fixes) {
        AgentBuilder builder = new AgentBuilder.Default(new ByteBuddy().with(TypeValidation.DISABLED))
                .disableClassFormatChanges()
                .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
                .with(AgentBuilder.RedefinitionStrategy.BatchAllocator.ForFixedSize.ofSize(RETRANSFORM_BATCH))
                .with(AgentBuilder.TypeStrategy.Default.DECORATE)
                .with(new TransformationLog())
                .ignore(nameStartsWith("dev.h2patch.").or(isSynthetic()));
        Compatibility compatibility = new Compatibility(instrumentation);
        for (Fix fix : fixes) {
            for (Relocation relocation : variants(fix)) {
                ClassFileLocator adviceLocator = relocation.isNone()
                        ? ClassFileLocator.ForClassLoader.of(Installer.class.getClassLoader())
                        : new RelocatingClassFileLocator(Installer.class.getClassLoader(), relocation);
                for (TypePatch patch : fix.patches()) {
                    builder = builder.type(named(relocation.apply(patch.typeName())))
                            .transform(new FixTransformer(fix, relocation, patch, adviceLocator, compatibility));
                }
            }
        }
        return builder.installOn(instrumentation);
    }

    static List<Relocation> variants(Fix fix) {
        List<Relocation> variants = new ArrayList<Relocation>();
        variants.add(Relocation.NONE);
        variants.addAll(fix.relocations());
        return variants;
    }

    /**
     * Matches exactly the method a {@link TypePatch.MethodAdvice} names, under a relocation. Bridge methods are left
     * out: javac can emit one with the same name and erased parameters as the real method (Netty's
     * {@code DefaultChannelPipeline.fireChannelRead}), and advice belongs on the method that does the work.
     */
    static ElementMatcher.Junction<MethodDescription> methodMatcher(TypePatch.MethodAdvice advice,
                                                                   Relocation relocation) {
        List<String> parameters = advice.parameterTypes();
        ElementMatcher.Junction<MethodDescription> matcher =
                named(advice.name()).and(not(isBridge())).and(takesArguments(parameters.size()));
        for (int i = 0; i < parameters.size(); i++) {
            matcher = matcher.and(takesArgument(i, named(relocation.apply(parameters.get(i)))));
        }
        return matcher;
    }

    /** Applies one fix's advice to one type, once the fix is known to fit the class loader. */
    private static final class FixTransformer implements AgentBuilder.Transformer {
        private final Fix fix;
        private final Relocation relocation;
        private final AgentBuilder.Transformer.ForAdvice advice;
        private final Compatibility compatibility;

        FixTransformer(Fix fix, Relocation relocation, TypePatch patch, ClassFileLocator adviceLocator,
                       Compatibility compatibility) {
            this.fix = fix;
            this.relocation = relocation;
            this.compatibility = compatibility;
            AgentBuilder.Transformer.ForAdvice forAdvice = new AgentBuilder.Transformer.ForAdvice()
                    .include(adviceLocator);
            for (TypePatch.MethodAdvice method : patch.advice()) {
                forAdvice = forAdvice.advice(methodMatcher(method, relocation), method.adviceClass().getName());
            }
            this.advice = forAdvice;
        }

        @Override
        public DynamicType.Builder<?> transform(DynamicType.Builder<?> builder, TypeDescription type,
                                                ClassLoader classLoader, JavaModule module,
                                                ProtectionDomain protectionDomain) {
            if (!compatibility.fits(fix, relocation, classLoader)) {
                return builder;
            }
            return advice.transform(builder, type, classLoader, module, protectionDomain);
        }
    }

    /** Logs what was transformed (debug) and any transformation that failed (warning: the class stays as it was). */
    private static final class TransformationLog extends AgentBuilder.Listener.Adapter {
        @Override
        public void onTransformation(TypeDescription type, ClassLoader classLoader, JavaModule module, boolean loaded,
                                     DynamicType dynamicType) {
            if (Log.isDebug()) {
                Log.debug("transformed " + type.getName() + (loaded ? " (retransformed)" : ""));
            }
        }

        @Override
        public void onError(String typeName, ClassLoader classLoader, JavaModule module, boolean loaded,
                            Throwable throwable) {
            Log.warn("could not patch " + typeName + "; it keeps its original code: " + throwable);
        }
    }
}
