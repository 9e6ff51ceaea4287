package dev.h2patch.jetty9;

import dev.h2patch.Fix;
import dev.h2patch.FixNames;
import dev.h2patch.LibraryVersions;
import dev.h2patch.Relocation;
import dev.h2patch.TypePatch;
import dev.h2patch.VersionRange;
import java.util.Collections;
import java.util.List;

/**
 * connection-state for every Jetty line (9.4, 10, 11, 12.0, 12.1): an HTTP/2 session that is closing (GOAWAY sent or
 * received) but still has streams is active, so its idle timeout must not reset those streams (docs/fixes/connection-state.md).
 *
 * <p>The bug: on {@code Server.stop()} Jetty 10 to 12.1 send GOAWAY(2^31-1) and cut every endpoint's idle timeout to
 * {@code shutdownIdleTimeout} (1 s); one second later {@code HTTP2Session.onIdleTimeout()} finds the session
 * LOCALLY_CLOSED and resets every stream that was quiet for that second, whatever the server's stop timeout. Two
 * pieces, on {@code org.eclipse.jetty.http2.HTTP2Session}:
 * <ul>
 *   <li>{@link SessionIdleTimeoutAdvice}: in LOCALLY_CLOSED / REMOTELY_CLOSED with streams, the idle timeout is
 *       ignored (Jetty re-arms it), bounded by {@code shutdown-drain-ms} and {@code idle-defer-max-ms}; the server's
 *       stop timeout still closes the connectors when it passes;</li>
 *   <li>{@link SessionGoAwayAdvice}: the final GOAWAY Jetty sends when the last stream of a closing session ends is
 *       followed by the close of the connection as soon as it is written (Jetty would leave it to the next idle
 *       timeout).</li>
 * </ul>
 *
 * <p>One fix for all lines: the methods and types used ({@code onIdleTimeout()}, {@code getCloseState()},
 * {@code getStreamCount()}, {@code getEndPoint().getIdleTimeout()}, {@code goAway(GoAwayFrame, Callback)},
 * {@code CloseState}, {@code GoAwayFrame.isGraceful()}, {@code Callback.from(Callback, Runnable)}) have the same names and descriptors in 9.4.58, 10.0.26, 11.0.26, 12.0.39
 * and 12.1.14 (checked with {@code javap}); compiled here against 9.4, the oldest. Installing it once keeps the advice
 * from being inlined twice into the same class. Jetty 9.4's missing graceful GOAWAY is {@link Jetty9GracefulStopFix}.
 */
public final class JettyConnectionStateFix extends Fix {

    static final String SESSION = "org.eclipse.jetty.http2.HTTP2Session";

    @Override
    public String name() {
        return FixNames.CONNECTION_STATE;
    }

    @Override
    public String library() {
        return "Jetty 9.4/10/11/12 (HTTP2Session)";
    }

    @Override
    public List<VersionRange> versions() {
        return Collections.singletonList(VersionRange.of("9.4", "12.2"));
    }

    @Override
    public String libraryVersion(ClassLoader loader, Relocation relocation) {
        String version = LibraryVersions.mavenVersion(loader, "org.eclipse.jetty.http2", "http2-common");
        return version != null ? version
                : LibraryVersions.mavenVersion(loader, "org.eclipse.jetty.http2", "jetty-http2-common");
    }

    @Override
    public List<TypePatch> patches() {
        return Collections.singletonList(TypePatch.type(SESSION)
                .advise(SessionIdleTimeoutAdvice.class, "onIdleTimeout")
                .advise(SessionGoAwayAdvice.class, "goAway",
                        "org.eclipse.jetty.http2.frames.GoAwayFrame", "org.eclipse.jetty.util.Callback"));
    }
}
