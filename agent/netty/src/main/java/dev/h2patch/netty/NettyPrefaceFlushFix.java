package dev.h2patch.netty;

import static dev.h2patch.netty.NettyFixes.CONTEXT;
import static dev.h2patch.netty.NettyFixes.HTTP2;

import dev.h2patch.Fix;
import dev.h2patch.FixNames;
import dev.h2patch.TypePatch;
import dev.h2patch.VersionRange;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * early-settings for Netty, the codec part: a server's preface SETTINGS are flushed as soon as Netty writes them.
 *
 * <p>Netty writes them in {@code Http2ConnectionHandler.PrefaceDecoder.sendPreface(ctx)} without flushing: before
 * 4.1.78 (netty#12089) a server whose client sends nothing stays silent, and in every release that has this method a
 * handler added to an already-active channel (ALPN, h2c upgrade, a sniffer) leaves them unflushed until the next read
 * completes. {@link PrefaceDecoderSendPrefaceAdvice} flushes them (RFC 9113 §3.4 allows the server preface at once).
 *
 * <p>Newer releases (4.1.133 and 4.2.13 on; checked with javap on 4.1.129 to 4.1.140 and 4.2.10 to 4.2.17) renamed the
 * method {@code sendPrefaceIfNeeded} and flush in it on both paths themselves. There this fix is skipped by the
 * compatibility check ("has no method sendPreface"), which is right: nothing is left to repair. It is a separate
 * {@link Fix} from {@link NettyEarlySettingsFix} so that the sniffer part still applies to those releases.
 */
public final class NettyPrefaceFlushFix extends NettyFix {

    @Override
    public String name() {
        return FixNames.EARLY_SETTINGS;
    }

    @Override
    public String library() {
        return "Netty releases that leave the preface unflushed";
    }

    /**
     * The releases that have {@code sendPreface}: 4.1.132 and 4.2.12 are the last (javap); 4.1.133 and 4.2.13 have
     * {@code sendPrefaceIfNeeded}. (An earlier declaration stopped at 4.1.128 and 4.2.7, the newest then checked; the
     * compatibility matrix found the fix active on 4.2.10, outside it.)
     */
    @Override
    public List<VersionRange> versions() {
        return Arrays.asList(VersionRange.of("4.1.77", "4.1.133"), VersionRange.of("4.2.0", "4.2.13"));
    }

    @Override
    public List<TypePatch> patches() {
        return Collections.singletonList(
                TypePatch.type(HTTP2 + "Http2ConnectionHandler$PrefaceDecoder")
                        .advise(PrefaceDecoderSendPrefaceAdvice.class, "sendPreface", CONTEXT));
    }
}
