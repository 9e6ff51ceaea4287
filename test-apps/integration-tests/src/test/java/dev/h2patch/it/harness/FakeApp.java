package dev.h2patch.it.harness;

import java.net.ServerSocket;
import java.util.Arrays;
import java.util.List;

/**
 * A stand-in app for the ChildJvm self-test, packed into a jar at test time: prints {@code READY <port>} like the
 * real apps; {@code --die} exits before READY, {@code --leak} prints a fake Netty leak line.
 */
public final class FakeApp {
    private FakeApp() {}

    public static void main(String[] args) throws Exception {
        List<String> a = Arrays.asList(args);
        System.err.println("fake stderr line, leak level " + System.getProperty("io.netty.leakDetection.level"));
        if (a.contains("--die")) {
            System.err.println("boom: refusing to start");
            System.exit(3);
        }
        try (ServerSocket s = new ServerSocket(0)) {
            System.out.println("READY " + s.getLocalPort());
            if (a.contains("--leak")) {
                System.err.println("LEAK: ByteBuf.release() was not called before it's garbage-collected.");
            }
            while (true) {
                s.accept().close();
            }
        }
    }
}
