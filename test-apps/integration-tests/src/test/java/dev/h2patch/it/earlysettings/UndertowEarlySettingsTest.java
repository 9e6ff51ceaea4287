package dev.h2patch.it.earlysettings;

import static dev.h2patch.it.earlysettings.SettingsTiming.BUDGET;
import static dev.h2patch.it.earlysettings.SettingsTiming.SILENCE;
import static dev.h2patch.it.earlysettings.SettingsTiming.best;
import static dev.h2patch.it.earlysettings.SettingsTiming.describe;
import static dev.h2patch.it.earlysettings.SettingsTiming.report;
import static dev.h2patch.it.earlysettings.SettingsTiming.settingsAfterPreface;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.h2patch.it.ChildJvm;
import dev.h2patch.it.Frame;
import dev.h2patch.it.FrameRecorder;
import dev.h2patch.it.Request;
import dev.h2patch.it.harness.TestApps;
import dev.h2patch.it.harness.Wire;

import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * early-settings on Undertow 2.2, 2.3 and 2.4 (docs/fixes/early-settings.md, "Undertow"): a client that sends the
 * 24-byte preface and nothing else gets no SETTINGS from Undertow (they wait for the client's SETTINGS); with the
 * agent Undertow's own SETTINGS come at once, exactly once, and the connection then works as before (the client's
 * SETTINGS get their ACK, no second SETTINGS, requests are answered).
 */
@Timeout(120)
class UndertowEarlySettingsTest {
    private static final String APPS = "dev.h2patch.it.earlysettings.UndertowEarlySettingsTest#undertowApps";

    static Stream<String> undertowApps() {
        return TestApps.claiming("Undertow", "early-settings");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void prefaceOnlyGetsNoSettingsWithoutAgent(String app) throws Exception {
        try (ChildJvm child = ChildJvm.app(app).start()) {
            settingsAfterPreface(child.port(), Duration.ofMillis(200)); // warm-up, as with the agent
            long nanos = settingsAfterPreface(child.port(), SILENCE);
            report(app, "no agent", "preface", nanos);
            assertTrue(nanos < 0, app + ": without the agent Undertow waits for the client's SETTINGS, got SETTINGS "
                    + describe(nanos) + " after the preface alone\n" + child.describeOutput());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void prefaceOnlyGetsSettingsWithAgent(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, null).start()) {
            settingsAfterPreface(child.port(), SILENCE); // warm-up: the first connection loads and weaves the classes
            long nanos = best(() -> settingsAfterPreface(child.port(), SILENCE));
            report(app, "agent", "preface", nanos);
            assertTrue(nanos >= 0 && nanos <= BUDGET.toNanos(), app + ": SETTINGS within " + BUDGET.toMillis()
                    + " ms of the preface, got " + describe(nanos) + "\n" + child.describeOutput());
            assertTrue(child.agentErrorLines().isEmpty(), child.describeOutput());
        }
    }

    /**
     * With the agent, then the client's SETTINGS: Undertow's SETTINGS once (not again with the ACK), the ACK of the
     * client's SETTINGS, and a request answered on the same connection.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource(APPS)
    void settingsOnceThenTheConnectionWorksWithAgent(String app) throws Exception {
        try (ChildJvm child = Wire.withAgentUnderTest(app, null).start();
             FrameRecorder r = FrameRecorder.connect(child.port())) {
            r.sendRaw(FrameRecorder.CLIENT_PREFACE);
            assertTrue(r.awaitServerSettings(SILENCE) >= 0, "SETTINGS after the preface alone\n" + r.describe()
                    + child.describeOutput());
            r.sendFrame(Frame.SETTINGS, 0, 0, new byte[0]); // the client's SETTINGS, late
            int id = r.request(Request.get("/hello"));
            r.awaitStreamEnd(id, FrameRecorder.DEFAULT_TIMEOUT);
            r.readFor(Duration.ofMillis(300));
            String ctx = "\nframes:\n" + r.describe() + child.describeOutput();
            List<Frame> frames = r.frames();
            assertEquals(1, frames.stream().filter(f -> f.is(Frame.SETTINGS) && !f.ack()).count(),
                    "Undertow's SETTINGS exactly once" + ctx);
            assertEquals(1, frames.stream().filter(f -> f.is(Frame.SETTINGS) && f.ack()).count(),
                    "the client's SETTINGS acknowledged once" + ctx);
            assertTrue(r.streamEnded(id), "/hello answered" + ctx);
            assertTrue(frames.stream().noneMatch(f -> f.is(Frame.GOAWAY) || f.is(Frame.RST_STREAM)), ctx);
            assertTrue(child.agentErrorLines().isEmpty(), ctx);
        }
    }
}
