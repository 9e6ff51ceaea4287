package org.apache.coyote.http2;

/** Stand-in for Tomcat's package-private Http2Exception (see FakeTomcat). */
abstract class Http2Exception extends Exception {
    private final FakeTomcat.Http2Error error;

    Http2Exception(String message, FakeTomcat.Http2Error error) {
        super(message);
        this.error = error;
    }

    FakeTomcat.Http2Error getError() {
        return error;
    }
}
