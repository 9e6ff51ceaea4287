package dev.h2patch.bootstrap.fake;

import java.util.concurrent.CountDownLatch;

/** A stream with Jetty's public {@code reset(ResetFrame, Callback)} shape that records the resets it was asked for. */
public final class FakeStream {
    public final CountDownLatch reset = new CountDownLatch(1);
    public volatile Thread resetBy;

    public void reset(ResetFrame frame, Object callback) {
        resetBy = Thread.currentThread();
        reset.countDown();
    }
}
