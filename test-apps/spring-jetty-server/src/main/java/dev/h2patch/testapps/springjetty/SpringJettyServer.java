package dev.h2patch.testapps.springjetty;

import jakarta.servlet.http.HttpServletResponse;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * A Spring Boot MVC application on Jetty (Boot's Jetty starter instead of Tomcat), configured only through Boot's
 * properties (application.properties: {@code server.http2.enabled=true}, {@code server.shutdown=graceful}), with
 * a controller for each bug shape a servlet application can produce:
 *
 * <ul>
 *   <li>{@code POST /h2patch.Test/Fail}: a gRPC-style Trailers-Only error returned as a body-less
 *       {@code ResponseEntity}: status 200, content-type application/grpc, grpc-status 5 and grpc-message as headers
 *       (end-stream, docs/bugs.md#end-stream). {@code /h2patch.Test/FailFlushed}: the same committed with
 *       {@code flushBuffer()} before the handler returns.</li>
 *   <li>{@code POST /h2patch.Test/RejectUpload}: a gRPC error (grpc-status 7, "upload rejected") returned before the
 *       request body is read (proxy-safe-reset).</li>
 *   <li>{@code GET /slow?ms=N}; {@code GET /admin/shutdown}: {@link SpringApplication#exit}, Boot's graceful shutdown
 *       (connection-state).</li>
 *   <li>{@code GET /hello}.</li>
 * </ul>
 *
 * <p>Usage: {@code java -jar spring-jetty-server.jar --port P} (0 = ephemeral; Boot's {@code server.port}) on
 * 127.0.0.1: Boot's Jetty connector with HTTP/2 on and no TLS is HTTP/1.1 first, h2c by the client preface or by
 * upgrade. {@code --tls --keystore PATH [--keystore-password P]}: Boot's {@code server.ssl.*} (ALPN h2, http/1.1).
 * Prints {@code READY <port>} on stdout once it listens; Boot's logs go to stderr (logback-spring.xml).
 */
@SpringBootApplication
@RestController
public class SpringJettyServer {

    static final String GRPC = "application/grpc";

    private final ConfigurableApplicationContext context;

    public SpringJettyServer(ConfigurableApplicationContext context) {
        this.context = context;
    }

    public static void main(String[] args) {
        SpringApplication app = new SpringApplication(SpringJettyServer.class);
        app.addListeners((ApplicationListener<WebServerInitializedEvent>) event -> {
            System.out.println("READY " + event.getWebServer().getPort());
            System.out.flush();
        });
        app.run(bootArgs(args));
    }

    /** The test apps' command line ({@code --port P}, {@code --tls ...}) as Boot properties. */
    static String[] bootArgs(String[] args) {
        List<String> boot = new ArrayList<>();
        boolean password = false;
        for (int i = 0; i < args.length; i++) {
            String next = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--port" -> {
                    boot.add("--server.port=" + next);
                    i++;
                }
                case "--tls" -> boot.add("--server.ssl.enabled=true");
                case "--keystore" -> {
                    boot.add("--server.ssl.key-store=file:" + next);
                    boot.add("--server.ssl.key-store-type=PKCS12");
                    i++;
                }
                case "--keystore-password" -> {
                    boot.add("--server.ssl.key-store-password=" + next);
                    password = true;
                    i++;
                }
                default -> boot.add(args[i]);
            }
        }
        if (boot.contains("--server.ssl.enabled=true") && !password) {
            boot.add("--server.ssl.key-store-password=changeit");
        }
        return boot.toArray(new String[0]);
    }

    static ResponseEntity.BodyBuilder grpcError(String status, String message) {
        return ResponseEntity.ok()
                .header("content-type", GRPC)
                .header("grpc-status", status)
                .header("grpc-message", message);
    }

    @PostMapping("/h2patch.Test/Fail")
    ResponseEntity<Void> fail() {
        return grpcError("5", "no such thing").build();
    }

    @PostMapping("/h2patch.Test/FailFlushed")
    void failFlushed(HttpServletResponse response) throws IOException {
        response.setStatus(200);
        response.setContentType(GRPC);
        response.setHeader("grpc-status", "5");
        response.setHeader("grpc-message", "no such thing");
        response.flushBuffer();
    }

    /** Returns before reading the request body: the client may still be uploading. */
    @PostMapping("/h2patch.Test/RejectUpload")
    ResponseEntity<Void> rejectUpload() {
        return grpcError("7", "upload rejected").build();
    }

    @GetMapping("/hello")
    String hello() {
        return "hello\n";
    }

    @GetMapping("/slow")
    String slow(@RequestParam(name = "ms", defaultValue = "1000") long ms) throws InterruptedException {
        Thread.sleep(ms);
        return "slow " + ms + " ms\n";
    }

    /** Closes the context (Boot's graceful shutdown: server.shutdown=graceful) once this answer is out, then exits. */
    @GetMapping("/admin/shutdown")
    String shutdown() {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            System.exit(SpringApplication.exit(context));
        }, "admin-shutdown");
        t.start();
        return "shutting down\n";
    }
}
