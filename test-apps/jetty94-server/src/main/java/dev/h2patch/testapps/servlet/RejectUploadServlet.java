package dev.h2patch.testapps.servlet;

import java.io.IOException;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

/**
 * {@code /h2patch.Test/RejectUpload} (proxy-safe-reset, seed 004): a client-streaming gRPC call answered at once with a
 * complete error — {@code 200}, {@code content-type: application/grpc}, {@code grpc-status: 7}, {@code grpc-message:
 * upload rejected}, no body — before any of the request is read. The servlet returns and Jetty completes the response
 * (one HEADERS with END_STREAM) while the client may still be sending; Jetty then resets the stream on its own.
 */
public final class RejectUploadServlet extends HttpServlet {

    public static final String PATH = "/h2patch.Test/RejectUpload";

    @Override
    protected void service(HttpServletRequest request, HttpServletResponse response) throws IOException {
        System.err.println("request " + request.getMethod() + " " + request.getRequestURI());
        response.setStatus(200);
        response.setContentType("application/grpc");
        response.setHeader("grpc-status", "7");
        response.setHeader("grpc-message", "upload rejected");
    }
}
