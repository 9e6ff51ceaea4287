package dev.h2patch.jetty12;

import dev.h2patch.FixNames;
import dev.h2patch.TypePatch;
import java.util.Arrays;
import java.util.List;

/**
 * early-settings for Jetty 12.0 and 12.1: the server's SETTINGS go out when the HTTP/2 connection opens
 * ({@link EarlySettingsOpenAdvice}), and a {@code DetectorConnectionFactory} that holds a connection after the client
 * preface sends an empty SETTINGS frame first ({@link DetectorEarlySettingsAdvice}); docs/fixes/early-settings.md,
 * "Jetty (9.4, 10, 11, 12.0, 12.1)". The decisions are {@code dev.h2patch.bootstrap.jetty.JettyEarlySettings}.
 */
public final class Jetty12EarlySettingsFix extends Jetty12Fix {

    public Jetty12EarlySettingsFix() {
        super("org.eclipse.jetty.http2", "jetty-http2-server");
    }

    @Override
    public String name() {
        return FixNames.EARLY_SETTINGS;
    }

    @Override
    public List<TypePatch> patches() {
        return Arrays.asList(
                TypePatch.type("org.eclipse.jetty.http2.server.internal.HTTP2ServerConnection")
                        .advise(EarlySettingsOpenAdvice.class, "notifyAccept", "org.eclipse.jetty.http2.HTTP2Session"),
                TypePatch.type("org.eclipse.jetty.server.DetectorConnectionFactory$DetectorConnection")
                        .advise(DetectorEarlySettingsAdvice.class, "detectAndUpgrade"));
    }
}
