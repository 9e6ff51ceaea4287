package dev.h2patch.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The test apps' TLS key (their {@code --tls} mode): a self-signed RSA key for localhost and 127.0.0.1, made once per
 * build with the JDK's keytool into {@code test-apps/integration-tests/target/tls/}, never committed. The raw client
 * ({@code FrameRecorder.connectTls}) and the probe's {@code --insecure} accept it without a trust store.
 */
public final class TlsKeys {
    public static final String PASSWORD = "changeit";

    private static Path store;

    private TlsKeys() {}

    /** The PKCS12 key store, generated on first use. */
    public static synchronized Path keyStore() throws IOException, InterruptedException {
        if (store != null && Files.isRegularFile(store)) {
            return store;
        }
        Path dir = Repo.root().resolve("test-apps/integration-tests/target/tls");
        Files.createDirectories(dir);
        Path file = dir.resolve("h2patch-test.p12");
        Files.deleteIfExists(file);
        Path keytool = Path.of(System.getProperty("java.home"), "bin", "keytool");
        Process p = new ProcessBuilder(keytool.toString(), "-genkeypair", "-alias", "h2patch-test", "-keyalg", "RSA",
                "-keysize", "2048", "-validity", "2", "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
                "-storetype", "PKCS12", "-keystore", file.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0 || !Files.isRegularFile(file)) {
            throw new IOException("keytool failed:\n" + out);
        }
        Files.deleteIfExists(dir.resolve("h2patch-test.pem"));
        store = file;
        return file;
    }

    /** The same key and certificate as one PEM file (certificate, then PKCS#8 key), for HAProxy's {@code crt}. */
    public static synchronized Path pem() throws Exception {
        Path file = keyStore().resolveSibling("h2patch-test.pem");
        if (Files.isRegularFile(file)) {
            return file;
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(keyStore())) {
            ks.load(in, PASSWORD.toCharArray());
        }
        PrivateKey key = (PrivateKey) ks.getKey("h2patch-test", PASSWORD.toCharArray());
        Base64.Encoder b64 = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));
        String pem = "-----BEGIN CERTIFICATE-----\n"
                + b64.encodeToString(ks.getCertificate("h2patch-test").getEncoded())
                + "\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\n"
                + b64.encodeToString(key.getEncoded()) + "\n-----END PRIVATE KEY-----\n";
        Files.writeString(file, pem);
        return file;
    }

    /** The app arguments of the {@code tls} connector: {@code --tls --keystore PATH --keystore-password P}. */
    public static List<String> appArgs() throws IOException, InterruptedException {
        return List.of("--tls", "--keystore", keyStore().toString(), "--keystore-password", PASSWORD);
    }

    /** {@code builder} started in its TLS mode. */
    public static ChildJvm.Builder tls(ChildJvm.Builder builder) throws IOException, InterruptedException {
        return builder.appArg(appArgs().toArray(new String[0]));
    }
}
