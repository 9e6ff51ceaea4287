package dev.h2patch.testapps.springwebflux;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.RouterFunctions;
import org.springframework.web.reactive.function.server.ServerResponse;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.web.reactive.function.BodyInserters;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.HttpProtocol;

/**
 * A Spring Boot WebFlux application on Reactor Netty, configured only through Boot's own properties
 * (application.properties: {@code server.http2.enabled=true}, {@code server.shutdown=graceful}), with handlers for
 * each bug shape a WebFlux application can produce:
 *
 * <ul>
 *   <li>{@code POST /h2patch.Test/Fail}: a gRPC-style Trailers-Only error as a WebFlux handler writes one: status
 *       200, content-type application/grpc, grpc-status 5 and grpc-message as headers, empty body (end-stream,
 *       docs/bugs.md#end-stream). {@code /h2patch.Test/FailStreamed}: the same with the empty body written as a
 *       stream ({@code Flux.empty()}).</li>
 *   <li>{@code POST /h2patch.Test/RejectUpload}: a gRPC error (grpc-status 7, "upload rejected") answered before the request body is read (the
 *       upload goes on: proxy-safe-reset, docs/bugs.md#proxy-safe-reset).</li>
 *   <li>{@code GET /slow?ms=N}: answers after N ms; {@code GET /admin/shutdown}: the application's own shutdown
 *       ({@link SpringApplication#exit}, i.e. Boot's graceful shutdown of the web server; connection-state).</li>
 *   <li>{@code GET /hello}: a plain answer.</li>
 * </ul>
 *
 * <p>Usage: {@code java -jar spring-webflux-server.jar --port P} (0 = ephemeral; Boot's {@code server.port}), bound
 * to 127.0.0.1. Boot's defaults with HTTP/2 on and no TLS make the port HTTP/1.1 first with h2c by upgrade or by
 * the client preface (Reactor Netty's HTTP11 + H2C). {@code --h2c-only}: h2c prior knowledge only (HttpProtocol.H2C
 * alone, set by a {@link NettyServerCustomizer}: Boot has no property for it). {@code --tls --keystore PATH
 * [--keystore-password P]}: Boot's {@code server.ssl.*} (ALPN h2, then http/1.1). Prints {@code READY <port>} on
 * stdout once it listens; Boot's logs go to stderr (logback-spring.xml).
 */
@SpringBootApplication
public class SpringWebfluxServer {

    static final String GRPC = "application/grpc";

    public static void main(String[] args) {
        SpringApplication app = new SpringApplication(SpringWebfluxServer.class);
        app.addListeners((ApplicationListener<WebServerInitializedEvent>) event -> {
            System.out.println("READY " + event.getWebServer().getPort());
            System.out.flush();
        });
        app.run(bootArgs(args));
    }

    /** The test apps' command line ({@code --port P}, {@code --tls ...}) as Boot properties. */
    static String[] bootArgs(String[] args) {
        List<String> boot = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String next = i + 1 < args.length ? args[i + 1] : null;
            switch (arg) {
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
                    i++;
                }
                case "--h2c-only" -> boot.add("--h2patch.h2c-only=true");
                default -> boot.add(arg);
            }
        }
        if (boot.stream().anyMatch(a -> a.startsWith("--server.ssl.enabled"))
                && boot.stream().noneMatch(a -> a.startsWith("--server.ssl.key-store-password"))) {
            boot.add("--server.ssl.key-store-password=changeit");
        }
        return boot.toArray(new String[0]);
    }

    @Bean
    RouterFunction<ServerResponse> routes(ConfigurableApplicationContext context) {
        return RouterFunctions.route()
                .POST("/h2patch.Test/Fail", request -> grpcError("5", "no such thing"))
                // The same error with its empty body written as a stream (Flux.empty()), not as a known-empty value.
                .POST("/h2patch.Test/FailStreamed", request -> grpcErrorHeaders("5", "no such thing")
                        .body(BodyInserters.fromDataBuffers(Flux.<DataBuffer>empty())))
                // Answers before reading the request body: the client may still be uploading.
                .POST("/h2patch.Test/RejectUpload", request -> grpcError("7", "upload rejected"))
                .GET("/hello", request -> ServerResponse.ok().contentType(MediaType.TEXT_PLAIN).bodyValue("hello\n"))
                .GET("/slow", request -> {
                    long ms = Long.parseLong(request.queryParam("ms").orElse("1000"));
                    return Mono.delay(Duration.ofMillis(ms)).then(
                            ServerResponse.ok().contentType(MediaType.TEXT_PLAIN).bodyValue("slow " + ms + " ms\n"));
                })
                .GET("/admin/shutdown", request -> ServerResponse.ok().contentType(MediaType.TEXT_PLAIN)
                        .bodyValue("shutting down\n")
                        .doOnSuccess(ignored -> shutdownSoon(context)))
                .build();
    }

    /** A gRPC error in Trailers-Only form as an HTTP handler writes it: grpc-status as a header, no body. */
    static Mono<ServerResponse> grpcError(String status, String message) {
        return grpcErrorHeaders(status, message).build();
    }

    static ServerResponse.BodyBuilder grpcErrorHeaders(String status, String message) {
        return ServerResponse.ok()
                .header("content-type", GRPC)
                .header("grpc-status", status)
                .header("grpc-message", message);
    }

    /** Closes the context (Boot's graceful shutdown: server.shutdown=graceful), then exits, off the event loop. */
    static void shutdownSoon(ConfigurableApplicationContext context) {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            System.exit(SpringApplication.exit(context));
        }, "admin-shutdown");
        t.start();
    }

    /** {@code --h2c-only}: h2c prior knowledge only (Boot's property gives HTTP/1.1 first, h2c by upgrade). */
    @Bean
    @Conditional(H2cOnly.class)
    NettyServerCustomizer h2cOnly() {
        return server -> server.protocol(HttpProtocol.H2C);
    }

    static final class H2cOnly implements org.springframework.context.annotation.Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return Boolean.parseBoolean(context.getEnvironment().getProperty("h2patch.h2c-only", "false"));
        }
    }
}
