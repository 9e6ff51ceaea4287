package dev.h2patch.tomcat9;

import dev.h2patch.bootstrap.tomcat.TomcatDrain;
import net.bytebuddy.asm.Advice;
import org.apache.catalina.Engine;

/**
 * Inlined into Tomcat's {@code org.apache.catalina.core.ContainerBase.stopInternal()} (every container's stop; the
 * same on 9.0, 10.1 and 11.0). {@code StandardService.stopInternal()} pauses the connectors (each HTTP/2 connection
 * gets its GOAWAY), then stops the engine, then the connectors, which close every socket: for the engine only, the
 * stop first waits, at most {@code shutdown-drain-ms}, for the streams of the paused HTTP/2 connections to finish
 * ({@link TomcatDrain#awaitStreams}), while the web applications still serve them.
 */
public final class EngineStopAdvice {

    private EngineStopAdvice() {
    }

    @Advice.OnMethodEnter(suppress = Throwable.class)
    static void onEnter(@Advice.This Object container) {
        if (container instanceof Engine) {
            TomcatDrain.awaitStreams();
        }
    }
}
