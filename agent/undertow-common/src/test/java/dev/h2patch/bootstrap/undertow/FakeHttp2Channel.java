package dev.h2patch.bootstrap.undertow;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Stand-in with the members of Undertow's {@code Http2Channel} that {@link UndertowShutdown} uses. */
public class FakeHttp2Channel {
    private boolean thisGoneAway;
    private final Map<Integer, Object> currentStreams = new ConcurrentHashMap<Integer, Object>();
    final List<Http2GoAwayStreamSinkChannel> goAways = new ArrayList<Http2GoAwayStreamSinkChannel>();
    boolean open = true;
    int closes;

    FakeHttp2Channel(int streams) {
        for (int i = 0; i < streams; i++) {
            currentStreams.put(2 * i + 1, new Object());
        }
    }

    private synchronized int getLastGoodStreamId() {
        return currentStreams.isEmpty() ? 0 : 2 * currentStreams.size() - 1;
    }

    public boolean isOpen() {
        return open;
    }

    public void close() {
        closes++;
        open = false;
    }

    boolean thisGoneAway() {
        return thisGoneAway;
    }

    void endStreams() {
        currentStreams.clear();
    }
}
