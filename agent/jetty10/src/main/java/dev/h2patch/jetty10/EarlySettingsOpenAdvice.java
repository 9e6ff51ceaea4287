package dev.h2patch.jetty10;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.jetty.JettyEarlySettings;
import net.bytebuddy.asm.Advice;
import org.eclipse.jetty.http2.parser.ServerParser;
import org.eclipse.jetty.http2.HTTP2Session;
import org.eclipse.jetty.http2.server.HTTP2ServerSession;

/**
 * Inlined into Jetty 9.4, 10 and 11 {@code HTTP2ServerConnection.notifyAccept(ISession)}, which
 * {@code HTTP2ServerConnection.onOpen()} calls once per connection after it opened the session and before it replays
 * the frames of an HTTP/1.1 upgrade and starts reading ({@code produce()}): the HTTP/2 server connection is open,
 * the application's session listener has seen it, and nothing has been parsed yet.
 *
 * <p>Jetty sends its SETTINGS (and the session WINDOW_UPDATE) only from {@code HTTP2ServerSession.onPreface()}, which
 * {@code ServerParser} calls once it has parsed the client's 24-byte preface. On a connector whose default protocol is
 * h2c, and after a detector handed the connection over, the server therefore says nothing until the client writes.
 * RFC 9113 §3.4 lets the server send its preface first, and grpc-go waits for it. On exit, when the parser still
 * means to notify the preface ({@code notifyPreface}: not an {@code Upgrade: h2c}, whose SETTINGS Jetty already sent
 * from the replayed frames), the advice first calls {@code ServerParser.standardUpgrade()} — Jetty's own switch that
 * makes the parser check the client preface without notifying it, as after an h2c upgrade — and then
 * {@code session.onPreface()}, so Jetty's SETTINGS and WINDOW_UPDATE go out now, exactly once: the client preface
 * that follows no longer calls {@code onPreface()} a second time (which would grow the receive window twice and send
 * WINDOW_UPDATE twice). {@code standardUpgrade()} throws if the parser has left its preface state; then nothing is
 * sent (suppressed) and Jetty behaves as without the agent.
 *
 * <p>Once per connection; the write is Jetty's own non-blocking flusher, as on its upgrade path.
 *
 * <p>What is decided here is decided by the shared helper {@code JettyEarlySettings.flushAtOpen}, for every Jetty line
 * (unit-tested there); this advice reads Jetty's objects and does what the answer names.
 */
public final class EarlySettingsOpenAdvice {

    private EarlySettingsOpenAdvice() {
    }

    @Advice.OnMethodExit(suppress = Throwable.class)
    static void onExit(@Advice.Argument(0) Object serverSession) {
        // HTTP2Session.getParser() (9.4 has no covariant override); each call's receiver is its own cast, so that
        // verifying this method needs no Jetty type hierarchy.
        ServerParser parser = (ServerParser) ((HTTP2Session) serverSession).getParser();
        if (JettyEarlySettings.flushAtOpen(parser)) {
            parser.standardUpgrade();
            ((HTTP2ServerSession) serverSession).onPreface();
            Counters.increment(Counters.EARLY_SETTINGS_FLUSHED);
        }
    }
}
