package dev.h2patch.bootstrap.undertow;

import dev.h2patch.bootstrap.Counters;
import dev.h2patch.bootstrap.H2patchRuntime;
import java.lang.reflect.Field;
import java.lang.reflect.Method;

/**
 * The early-settings decision and action for Undertow (docs/fixes/early-settings.md, "Undertow"): a server-side
 * {@code Http2Channel} (prior knowledge on the HTTP/1.1 listener, ALPN on an HTTPS listener) sends its SETTINGS only
 * when the client's SETTINGS arrive ({@code private void sendSettingsAck()}, guarded by {@code private boolean
 * initialSettingsSent}); RFC 9113 §3.4 lets the server send them at once, and a client that waits for them hangs.
 *
 * <p>The advice, inlined into {@code AbstractFramedChannel.resumeReceives()} (called once by Undertow right after it
 * builds a server's HTTP/2 channel and sets its receive listener, before any frame of the client is read), calls
 * {@link #sendIfLazy}: when the channel has not sent its SETTINGS yet, its own {@code sendSettings()} is called and
 * {@code initialSettingsSent} set, exactly what {@code sendSettingsAck()} does first when the client's SETTINGS come.
 * These are Undertow's own SETTINGS, so there is no ACK bookkeeping to add: the client's ACK acknowledges them, as
 * without the agent, and the later {@code sendSettingsAck()} only sends the ACK.
 *
 * <p>Both members are private to {@code Http2Channel}, and the engine cannot advise a constructor, so they are
 * reached by reflection, looked up once per class ({@link ClassValue}: a redeployed Undertow gets its own entry and
 * the old one goes with its class loader). What fails there is thrown to the advice's handler, counted as
 * {@code early-settings.failed} and reported once; Undertow then sends its SETTINGS lazily, as without the agent.
 */
public final class UndertowEarlySettings {

    private static final ClassValue<Access> ACCESS = new ClassValue<Access>() {
        @Override
        protected Access computeValue(Class<?> type) {
            return new Access(type);
        }
    };

    private UndertowEarlySettings() {
    }

    /**
     * Whether a channel whose SETTINGS are still to go out ({@code sent}: its {@code initialSettingsSent}) is sent
     * them now: only a server's ({@code client}: {@code Http2Channel.isClient()}; a client sends its own in the
     * constructor). Counted: {@code early-settings.flushed}, or in report mode {@code early-settings.would-flush} and
     * false.
     */
    public static boolean sendsNow(boolean client, boolean sent) {
        if (client || sent) {
            return false;
        }
        if (H2patchRuntime.reportsOnly(Counters.EARLY_SETTINGS_WOULD_FLUSH)) {
            return false;
        }
        Counters.increment(Counters.EARLY_SETTINGS_FLUSHED);
        return true;
    }

    /**
     * For the channel {@code channel} (an {@code io.undertow.protocols.http2.Http2Channel}): sends its SETTINGS
     * unless they went out already or it is a client's ({@link #sendsNow}). Returns whether it sent them.
     */
    public static boolean sendIfLazy(Object channel, boolean client) throws Exception {
        if (client) {
            return false;
        }
        Access access = ACCESS.get(channel.getClass());
        if (!sendsNow(false, access.sent.getBoolean(channel))) {
            return false;
        }
        // The order of sendSettingsAck(): the frame first, then the flag.
        access.sendSettings.invoke(channel);
        access.sent.setBoolean(channel, true);
        return true;
    }

    /** {@code Http2Channel}'s private {@code initialSettingsSent} and {@code sendSettings()}. */
    static final class Access {
        final Field sent;
        final Method sendSettings;

        Access(Class<?> type) {
            Field field = null;
            Method method = null;
            for (Class<?> c = type; c != null && (field == null || method == null); c = c.getSuperclass()) {
                try {
                    field = field != null ? field : c.getDeclaredField("initialSettingsSent");
                } catch (NoSuchFieldException ignored) {
                    // In a superclass, if anywhere.
                }
                try {
                    method = method != null ? method : c.getDeclaredMethod("sendSettings");
                } catch (NoSuchMethodException ignored) {
                    // In a superclass, if anywhere.
                }
            }
            if (field == null || method == null || field.getType() != boolean.class) {
                throw new IllegalStateException(type.getName() + " has no boolean initialSettingsSent and "
                        + "sendSettings() (Undertow 2.2 to 2.4 have both)");
            }
            field.setAccessible(true);
            method.setAccessible(true);
            this.sent = field;
            this.sendSettings = method;
        }
    }
}
