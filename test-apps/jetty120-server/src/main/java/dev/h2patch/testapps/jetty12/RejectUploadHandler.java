package dev.h2patch.testapps.jetty12;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * {@code /h2patch.Test/RejectUpload} (proxy-safe-reset, seed 004), wrapped around the app's handler: a
 * client-streaming gRPC call answered at once with a complete error — {@code 200}, {@code content-type:
 * application/grpc}, {@code grpc-status: 7}, {@code grpc-message: upload rejected}, no body, written as last — before
 * any of the request is read. Jetty completes the response (one HEADERS with END_STREAM) while the client may still
 * be sending, and then resets the stream on its own. Other paths go to the wrapped handler.
 */
public final class RejectUploadHandler extends Handler.Wrapper {

    public static final String PATH = "/h2patch.Test/RejectUpload";

    public RejectUploadHandler(Handler next) {
        super(next);
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) throws Exception {
        if (!PATH.equals(request.getHttpURI().getPath())) {
            return super.handle(request, response, callback);
        }
        System.err.println("request " + request.getMethod() + " " + PATH);
        response.setStatus(200);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/grpc");
        response.getHeaders().put("grpc-status", "7");
        response.getHeaders().put("grpc-message", "upload rejected");
        response.write(true, null, callback);
        return true;
    }
}
