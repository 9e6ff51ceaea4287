package dev.h2patch.it;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real grpc-go client (test-apps/interop/grpc-go-client, grpc-go 1.33 from Debian), built by
 * {@code test-apps/interop/build-grpc-go-client.sh} into {@code test-apps/interop/target/grpc-go-client}. It dials
 * with {@code WithBlock} and a handshake deadline, so a server that never sends its SETTINGS fails the dial.
 */
public final class GrpcGoClient {
    public static final String BUILD_HINT = "test-apps/interop/build-grpc-go-client.sh";

    private GrpcGoClient() {}

    /** One run: the exit code (0 = success) and the line(s) it printed. */
    public record Result(int exitCode, String output) {
        public boolean ok() {
            return exitCode == 0;
        }

        @Override
        public String toString() {
            return "exit " + exitCode + ": " + output.trim();
        }
    }

    public static Path binary() {
        return Repo.root().resolve("test-apps/interop/target/grpc-go-client");
    }

    public static boolean isBuilt() {
        return Files.isExecutable(binary());
    }

    /** Runs {@code -mode MODE -addr 127.0.0.1:PORT -timeout T}; kills it after T + 10 s. */
    public static Result run(int port, String mode, Duration handshakeTimeout) throws IOException, InterruptedException {
        return run(port, mode, handshakeTimeout, false);
    }

    /** {@link #run(int, String, Duration)}, with {@code -tls} (TLS, ALPN h2, any certificate) when {@code tls}. */
    public static Result run(int port, String mode, Duration handshakeTimeout, boolean tls)
            throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of(binary().toString(), "-addr", "127.0.0.1:" + port,
                "-mode", mode, "-timeout", handshakeTimeout.toMillis() + "ms"));
        if (tls) {
            command.add("-tls");
        }
        Process p = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .start();
        p.getOutputStream().close();
        if (!p.waitFor(handshakeTimeout.toSeconds() + 10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return new Result(-1, "grpc-go-client did not finish");
        }
        try (InputStream in = p.getInputStream()) {
            return new Result(p.exitValue(), new String(in.readAllBytes(), StandardCharsets.UTF_8));
        }
    }
}
