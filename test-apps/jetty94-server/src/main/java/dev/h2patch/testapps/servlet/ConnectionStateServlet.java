package dev.h2patch.testapps.servlet;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.servlet.AsyncContext;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.servlet.ServletHolder;

/**
 * connection-state routes (seed 003), added to the app by {@link #install}:
 * <ul>
 *   <li>{@code /slow?ms=N}: an async servlet answers 200 {@code slow\n} after N ms from a scheduled task (no thread
 *       blocked meanwhile);</li>
 *   <li>{@code /quiet-stream?ms=N}: headers at once ({@code flushBuffer()}), then nothing for N ms, then
 *       {@code tick\n} and the end of the response;</li>
 *   <li>{@code /admin/shutdown}: answers, then calls {@code server.stop()} on its own thread — the way users stop
 *       Jetty, with the stop timeout set here (10 s); the stop starts even if the answer fails (client gone). SIGTERM
 *       does the same through {@code setStopAtShutdown}.</li>
 * </ul>
 */
public final class ConnectionStateServlet extends HttpServlet {

    static final long STOP_TIMEOUT_MS = 10000;

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "app-timer");
        thread.setDaemon(true);
        return thread;
    });

    private final Server server;

    private ConnectionStateServlet(Server server) {
        this.server = server;
    }

    /** Adds the routes to {@code context} and sets the server's stop timeout. */
    public static void install(ServletContextHandler context, Server server) {
        ServletHolder holder = new ServletHolder(new ConnectionStateServlet(server));
        holder.setAsyncSupported(true);
        context.addServlet(holder, "/slow");
        context.addServlet(holder, "/quiet-stream");
        context.addServlet(holder, "/admin/shutdown");
        server.setStopTimeout(STOP_TIMEOUT_MS);
    }

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getRequestURI();
        long ms = parseMs(request.getParameter("ms"));
        System.err.println("request " + request.getMethod() + " " + path);
        switch (path) {
            case "/slow": {
                AsyncContext async = request.startAsync();
                async.setTimeout(0);
                TIMER.schedule(() -> {
                    try {
                        write((HttpServletResponse) async.getResponse(), "slow\n");
                    } catch (IOException | RuntimeException e) {
                        System.err.println("slow: " + e);
                    } finally {
                        async.complete();
                    }
                }, ms, TimeUnit.MILLISECONDS);
                return;
            }
            case "/quiet-stream": {
                response.setStatus(200);
                response.setContentType("text/plain");
                response.flushBuffer();
                AsyncContext async = request.startAsync();
                async.setTimeout(0);
                TIMER.schedule(() -> {
                    try {
                        async.getResponse().getOutputStream().write("tick\n".getBytes(StandardCharsets.UTF_8));
                    } catch (IOException | RuntimeException e) {
                        System.err.println("quiet-stream: " + e);
                    } finally {
                        async.complete();
                    }
                }, ms, TimeUnit.MILLISECONDS);
                return;
            }
            case "/admin/shutdown": {
                // The stop must not depend on the answer: the blocking write of "stopping" can throw (EofException)
                // after the bytes went out, when the client closes the connection before Jetty completes the write's
                // callback — the stop used to be skipped then, silently (the exception went to Jetty's NOP logger).
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
                try {
                    write(response, "stopping\n");
                } catch (IOException | RuntimeException e) {
                    System.err.println("admin: answer failed (stopping anyway): " + e);
                } finally {
                    stopper.start();
                }
                return;
            }
            default:
                response.sendError(404);
        }
    }

    private static void write(HttpServletResponse response, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        response.setStatus(200);
        response.setContentType("text/plain");
        response.setContentLength(bytes.length);
        response.getOutputStream().write(bytes);
    }

    private static long parseMs(String value) {
        try {
            return value == null ? 0 : Long.parseLong(value);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
