package dev.h2patch.jetty10;

import dev.h2patch.FixNames;
import dev.h2patch.TypePatch;
import dev.h2patch.VersionRange;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * early-settings for Jetty 9.4, 10 and 11 (the methods, and the Jetty methods the advice calls, have the same
 * descriptors in all three): the server's SETTINGS go out when the HTTP/2 connection opens
 * ({@link EarlySettingsOpenAdvice}), and a {@code DetectorConnectionFactory} that holds a connection after the client
 * preface sends an empty SETTINGS frame first ({@link DetectorEarlySettingsAdvice}); docs/fixes/early-settings.md,
 * "Jetty (9.4, 10, 11, 12.0, 12.1)". The decisions are {@code dev.h2patch.bootstrap.jetty.JettyEarlySettings}.
 */
public final class Jetty10EarlySettingsFix extends Jetty10Fix {

    public Jetty10EarlySettingsFix() {
        super("org.eclipse.jetty.http2", "http2-server");
    }

    @Override
    public String name() {
        return FixNames.EARLY_SETTINGS;
    }

    @Override
    public String library() {
        return "Jetty 9.4/10/11";
    }

    @Override
    public List<VersionRange> versions() {
        return Collections.singletonList(VersionRange.of("9.4", "12"));
    }

    @Override
    public List<TypePatch> patches() {
        return Arrays.asList(
                TypePatch.type("org.eclipse.jetty.http2.server.HTTP2ServerConnection")
                        .advise(EarlySettingsOpenAdvice.class, "notifyAccept", "org.eclipse.jetty.http2.ISession"),
                TypePatch.type("org.eclipse.jetty.server.DetectorConnectionFactory$DetectorConnection")
                        .advise(DetectorEarlySettingsAdvice.class, "detectAndUpgrade"));
    }
}
