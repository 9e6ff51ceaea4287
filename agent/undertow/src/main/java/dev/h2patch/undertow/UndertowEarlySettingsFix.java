package dev.h2patch.undertow;

import dev.h2patch.FixNames;
import dev.h2patch.TypePatch;
import java.util.Collections;
import java.util.List;

/**
 * early-settings for Undertow 2.2, 2.3 and 2.4 (docs/fixes/early-settings.md, "Undertow"): a server's HTTP/2
 * connection (prior knowledge on the HTTP/1.1 listener, ALPN on an HTTPS listener) sends no SETTINGS until the
 * client's SETTINGS arrive (the lazy {@code sendSettingsAck()} of Undertow commit d18b82ee1, 2014), which RFC 9113 §3.4
 * does not require and a client or port sniffer that waits for the server never gets past. One advice,
 * {@link ResumeReceivesAdvice}, sends Undertow's own SETTINGS when Undertow first resumes reading the new channel.
 */
public final class UndertowEarlySettingsFix extends UndertowFix {

    static final String FRAMED_CHANNEL = "io.undertow.server.protocol.framed.AbstractFramedChannel";

    @Override
    public String name() {
        return FixNames.EARLY_SETTINGS;
    }

    @Override
    public List<TypePatch> patches() {
        return Collections.singletonList(TypePatch.type(FRAMED_CHANNEL)
                .advise(ResumeReceivesAdvice.class, "resumeReceives"));
    }
}
