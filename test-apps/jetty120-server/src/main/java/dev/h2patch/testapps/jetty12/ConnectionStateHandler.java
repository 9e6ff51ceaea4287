package dev.h2patch.testapps.jetty12;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;

/**
 * connection-state routes (seed 003), wrapped around the app's handler by {@link #install}:
 * <ul>
 *   <li>{@code /slow?ms=N}: 200 {@code slow\n} after N ms, written from a scheduled task (the handler returns at
 *       once; no thread waits);</li>
 *   <li>{@code /quiet-stream?ms=N}: headers at once, then nothing for N ms, then {@code tick\n} and the end;</li>
 *   <li>{@code /admin/shutdown}: answers, then calls {@code server.stop()} on its own thread, with the stop timeout
 *       set here (10 s). SIGTERM does the same through {@code setStopAtShutdown}.</li>
 * </ul>
 */
public final class ConnectionStateHandler extends Handler.Wrapper {

    static final long STOP_TIMEOUT_MS = 10000;

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "app-timer");
        thread.setDaemon(true);
        return thread;
    });

    private final Server server;

    private ConnectionStateHandler(Server server, Handler next) {
        super(next);
        this.server = server;
    }

    /** Wraps the server's handler with these routes and sets the server's stop timeout. */
    public static void install(Server server) {
        server.setHandler(new ConnectionStateHandler(server, server.getHandler()));
        server.setStopTimeout(STOP_TIMEOUT_MS);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        String path = request.getHttpURI().getPath();
        long ms = parseMs(request);
        switch (path) {
            case "/slow":
                System.err.println("request " + request.getMethod() + " " + path);
                TIMER.schedule(() -> text(response, "slow\n", callback), ms, TimeUnit.MILLISECONDS);
                return true;
            case "/quiet-stream":
                System.err.println("request " + request.getMethod() + " " + path);
                response.setStatus(200);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                response.write(false, null, Callback.from(
                        () -> TIMER.schedule(() -> Content.Sink.write(response, true, "tick\n", callback),
                                ms, TimeUnit.MILLISECONDS),
                        callback::failed));
                return true;
            case "/admin/shutdown":
                text(response, "stopping\n", callback);
                Thread stopper = new Thread(() -> {
                    try {
                        Thread.sleep(50); // let the answer go out first
                        long start = System.nanoTime();
                        server.stop();
                        System.err.println("admin: server stopped after "
                                + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) + " ms");
                    } catch (Exception e) {
                        System.err.println("admin: stop failed: " + e);
                    }
                }, "app-stopper");
                stopper.start();
                return true;
            default:
                return super.handle(request, response, callback);
        }
    }

    private static void text(Response response, String text, Callback callback) {
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
        Content.Sink.write(response, true, text, callback);
    }

    private static long parseMs(Request request) {
        String query = request.getHttpURI().getQuery();
        if (query == null) {
            return 0;
        }
        for (String pair : query.split("&")) {
            if (pair.startsWith("ms=")) {
                try {
                    return Long.parseLong(pair.substring(3));
                } catch (NumberFormatException e) {
                    return 0;
                }
            }
        }
        return 0;
    }
}
