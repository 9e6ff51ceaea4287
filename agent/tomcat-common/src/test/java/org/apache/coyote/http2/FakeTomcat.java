package org.apache.coyote.http2;

import java.util.ArrayList;
import java.util.List;

/**
 * Stand-ins for Tomcat's package-private HTTP/2 classes, with the names and members TomcatDeferredResets reaches by
 * reflection (the real ones are not on this module's class path: its helpers name no Tomcat type).
 */
public final class FakeTomcat {

    private FakeTomcat() {
    }

    public enum Http2Error { NO_ERROR, PROTOCOL_ERROR, INTERNAL_ERROR, FLOW_CONTROL_ERROR, SETTINGS_TIMEOUT,
        STREAM_CLOSED, FRAME_SIZE_ERROR, REFUSED_STREAM, CANCEL }

    /** Stand-in for Tomcat's {@code FrameType} (the names the overhead count is asked with). */
    public enum FrameType { DATA, HEADERS, RST }

    public enum State { OPEN, HALF_CLOSED_LOCAL, HALF_CLOSED_REMOTE, CLOSED_RX, CLOSED_RST_RX, CLOSED_RST_TX }

    public static final class StateMachine {
        private State state;

        public StateMachine(State state) {
            this.state = state;
        }

        public void set(State next) {
            state = next;
        }
    }

    /** Stand-in for {@code Http2Protocol}: its overhead protection's DATA threshold (Tomcat's default). */
    public static final class Protocol {
        public int getOverheadDataThreshold() {
            return 1024;
        }
    }

    /** Stand-in for {@code Http2UpgradeHandler}: its protected {@code protocol}. */
    public static class Connection {
        protected final Protocol protocol = new Protocol();
        private volatile int lastNonFinalDataPayload = 2048;

        public void lastNonFinalDataPayload(int payload) {
            lastNonFinalDataPayload = payload;
        }

        public int lastNonFinalDataPayload() {
            return lastNonFinalDataPayload;
        }
    }

    public static final class InputBuffer {
        public int swallowed;
        /** Tomcat's {@code StandardStreamInputBuffer.inBuffer}: null until DATA arrives. */
        public java.nio.ByteBuffer inBuffer;
        /** Set: swallowUnread fails as Tomcat's does when its WINDOW_UPDATE cannot be written. */
        public java.io.IOException writeFails;

        void swallowUnread() throws java.io.IOException {
            swallowed++;
            if (writeFails != null) {
                throw writeFails;
            }
        }
    }

    public static class Stream {
        public final StateMachine state;
        public final InputBuffer input = new InputBuffer();
        public final List<String> closes = new ArrayList<>();
        public int replaced;

        public Stream(State state) {
            this.state = new StateMachine(state);
        }

        final void close(Http2Exception e) {
            closes.add(e.getError().name());
            state.set(State.CLOSED_RST_TX);
        }

        final InputBuffer getInputBuffer() {
            return input;
        }

        final void replace() {
            replaced++;
        }
    }
}
