package dev.h2patch.cli.probe;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * One raw HTTP/2 client connection (h2c prior knowledge, or TLS with ALPN h2): a reader thread that records every
 * frame it reads (HPACK-decoded, CONTINUATIONs merged), acknowledges the server's SETTINGS and answers its PINGs as a
 * client must (RFC 9113 §6.5.3, §6.7), and tracks the flow-control windows the probe sends against (§6.9). The probe
 * thread writes frames and waits for recorded ones, always with a deadline.
 */
final class H2Connection implements Closeable {

    /** What the probe announces: no push, the default table size and frame size, a large receive window. */
    static final int MAX_FRAME = 16384;
    static final int HEADER_TABLE = 4096;

    /** A predicate on recorded frames (java.util.function is Java 8, this keeps the checks short). */
    interface Match {
        boolean test(Frame frame);
    }

    final int number;
    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final long openedNanos;
    private final HpackDecoder decoder = new HpackDecoder(HEADER_TABLE);
    private final List<Frame> frames = new ArrayList<Frame>();
    private boolean prefaceSent;
    private int pendingSettingsAcks;
    private int nextStream = 1;
    private long connectionWindow = 65535;
    private int initialWindow = 65535;
    private final java.util.Map<Integer, Long> streamWindows = new java.util.HashMap<Integer, Long>();
    private int peerMaxFrame = MAX_FRAME;
    /** Why the connection ended (EOF, reset, not HTTP/2...), null while open. */
    private String closedReason;
    private double closedAt = -1;
    private final Thread reader;

    private H2Connection(int number, Socket socket, long openedNanos) throws IOException {
        this.number = number;
        this.socket = socket;
        this.openedNanos = openedNanos;
        this.in = socket.getInputStream();
        this.out = new BufferedOutputStream(socket.getOutputStream());
        this.reader = new Thread(new Runnable() {
            @Override
            public void run() {
                readLoop();
            }
        }, "h2patch-probe-reader-" + number);
        reader.setDaemon(true);
        reader.start();
    }

    /** Opens the TCP (and TLS) connection within the step timeout; sends nothing. */
    static H2Connection open(int number, ProbeOptions options) throws IOException {
        Socket plain = new Socket();
        plain.setTcpNoDelay(true);
        try {
            plain.connect(new InetSocketAddress(options.host, options.port), options.timeoutMs);
            Socket socket = options.tls ? Tls.handshake(plain, options) : plain;
            // Times count from here: TCP (and TLS) established, the moment an h2 client could speak.
            return new H2Connection(number, socket, System.nanoTime());
        } catch (IOException e) {
            plain.close();
            throw e;
        } catch (RuntimeException e) {
            plain.close();
            throw e;
        }
    }

    double now() {
        return (System.nanoTime() - openedNanos) / 1e6;
    }

    // ---- writing

    private synchronized void write(int type, int flags, int stream, byte[] payload) throws IOException {
        write(type, flags, stream, payload, null);
    }

    private synchronized void write(int type, int flags, int stream, byte[] payload, List<String[]> headers)
            throws IOException {
        if (closedReason != null) {
            throw new IOException("connection closed: " + closedReason);
        }
        // Recorded before it is written: the answer to it may be read (and recorded) before write() returns.
        record(new Frame(true, number, type, flags, stream, payload, now(), headers));
        FrameCodec.write(out, type, flags, stream, payload);
        out.flush();
    }

    /** Preface and the probe's SETTINGS (§3.4), then the ACKs of any SETTINGS the server sent first. */
    synchronized void sendPreface() throws IOException {
        out.write(FrameCodec.PREFACE);
        write(Frame.SETTINGS, 0, 0, FrameCodec.settings(2, 0, 4, 1 << 20));
        // A large stream window and connection window: the probe never has to send WINDOW_UPDATE while it reads.
        write(Frame.WINDOW_UPDATE, 0, 0, FrameCodec.int32((1 << 24) - 65535));
        prefaceSent = true;
        for (; pendingSettingsAcks > 0; pendingSettingsAcks--) {
            write(Frame.SETTINGS, Frame.ACK, 0, new byte[0]);
        }
    }

    /** Opens a stream with HEADERS; returns its id. */
    synchronized int request(List<String[]> headers, boolean endStream) throws IOException {
        int id = nextStream;
        nextStream += 2;
        byte[] block = HpackEncoder.encode(headers);
        if (block.length > peerMaxFrame) {
            throw new IOException("request headers too large for one frame");
        }
        streamWindows.put(id, (long) initialWindow);
        write(Frame.HEADERS, Frame.END_HEADERS | (endStream ? Frame.END_STREAM : 0), id, block, headers);
        return id;
    }

    void data(int stream, byte[] payload, boolean endStream) throws IOException {
        write(Frame.DATA, endStream ? Frame.END_STREAM : 0, stream, payload);
    }

    /** Sends a PING; returns when it was sent (ms). */
    synchronized double ping(byte[] eight) throws IOException {
        double at = now();
        write(Frame.PING, 0, 0, eight);
        return at;
    }

    void reset(int stream, int code) throws IOException {
        write(Frame.RST_STREAM, 0, stream, FrameCodec.int32(code));
    }

    /**
     * Sends one DATA frame of up to {@code max} octets when both flow-control windows allow it, waiting for
     * WINDOW_UPDATEs until {@code deadlineNanos}; returns the octets sent, 0 if the windows stayed closed.
     */
    synchronized int sendWithinWindow(int stream, byte[] chunk, long deadlineNanos) throws IOException {
        while (true) {
            Long streamWindow = streamWindows.get(stream);
            long window = Math.min(connectionWindow, streamWindow == null ? 0 : streamWindow);
            int n = (int) Math.min(Math.min(window, chunk.length), peerMaxFrame);
            if (n > 0) {
                byte[] payload = n == chunk.length ? chunk : java.util.Arrays.copyOf(chunk, n);
                connectionWindow -= n;
                streamWindows.put(stream, streamWindow - n);
                data(stream, payload, false);
                return n;
            }
            long waitMs = (deadlineNanos - System.nanoTime()) / 1000000;
            if (waitMs <= 0 || closedReason != null) {
                return 0;
            }
            try {
                wait(waitMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 0;
            }
        }
    }

    /** Closes the socket without taking the connection's lock: ends a write blocked on a server that stopped reading. */
    void abort() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closed either way
        }
    }

    /** A polite end: GOAWAY(NO_ERROR) if still open, then close. */
    @Override
    public void close() {
        try {
            synchronized (this) {
                if (closedReason == null && prefaceSent) {
                    write(Frame.GOAWAY, 0, 0, FrameCodec.goaway(0, 0));
                }
            }
        } catch (IOException ignored) {
            // closing anyway
        }
        try {
            socket.close();
        } catch (IOException ignored) {
            // nothing left to do
        }
    }

    // ---- reading

    private void readLoop() {
        ByteArrayOutputStream block = null;
        FrameCodec.Raw headersFrame = null;
        try {
            while (true) {
                FrameCodec.Raw raw = FrameCodec.read(in, MAX_FRAME);
                double at = now();
                if (raw.type == Frame.CONTINUATION && block != null) {
                    block.write(raw.payload, 0, raw.payload.length);
                    if ((raw.flags & Frame.END_HEADERS) != 0) {
                        recordHeaders(headersFrame, block.toByteArray(), at);
                        block = null;
                    }
                    continue;
                }
                if (raw.type == Frame.HEADERS || raw.type == Frame.PUSH_PROMISE) {
                    byte[] fragment = raw.type == Frame.HEADERS ? FrameCodec.headerBlock(raw.flags, raw.payload)
                            : java.util.Arrays.copyOfRange(raw.payload, Math.min(4, raw.payload.length),
                                    raw.payload.length);
                    if ((raw.flags & Frame.END_HEADERS) != 0) {
                        recordHeaders(raw, fragment, at);
                    } else {
                        headersFrame = raw;
                        block = new ByteArrayOutputStream();
                        block.write(fragment, 0, fragment.length);
                    }
                    continue;
                }
                received(raw, at);
            }
        } catch (EOFException e) {
            closed("closed by the server (EOF)");
        } catch (IOException e) {
            closed(socket.isClosed() ? "closed by the probe" : e.getMessage());
        } catch (HpackDecoder.HpackException e) {
            closed("HPACK error: " + e.getMessage());
        } catch (RuntimeException e) {
            closed("probe error: " + e);
        }
    }

    private void recordHeaders(FrameCodec.Raw raw, byte[] block, double at) throws HpackDecoder.HpackException {
        List<String[]> fields = decoder.decode(block);
        record(new Frame(false, number, raw.type, raw.flags | Frame.END_HEADERS, raw.stream, raw.payload, at,
                fields));
    }

    private void received(FrameCodec.Raw raw, double at) throws IOException {
        record(new Frame(false, number, raw.type, raw.flags, raw.stream, raw.payload, at, null));
        synchronized (this) {
            if (raw.type == Frame.SETTINGS && (raw.flags & Frame.ACK) == 0) {
                applySettings(raw.payload);
                if (prefaceSent) {
                    write(Frame.SETTINGS, Frame.ACK, 0, new byte[0]);
                } else {
                    pendingSettingsAcks++;
                }
            } else if (raw.type == Frame.DATA && raw.payload.length > 0 && prefaceSent) {
                // Give back what was read (§6.9), so a large answer to --path never stalls on the probe's windows.
                write(Frame.WINDOW_UPDATE, 0, 0, FrameCodec.int32(raw.payload.length));
                if ((raw.flags & Frame.END_STREAM) == 0) {
                    write(Frame.WINDOW_UPDATE, 0, raw.stream, FrameCodec.int32(raw.payload.length));
                }
            } else if (raw.type == Frame.PING && (raw.flags & Frame.ACK) == 0 && prefaceSent) {
                write(Frame.PING, Frame.ACK, 0, raw.payload);
            } else if (raw.type == Frame.WINDOW_UPDATE && raw.payload.length >= 4) {
                long increment = FrameCodec.uint32(raw.payload, 0) & 0x7fffffffL;
                if (raw.stream == 0) {
                    connectionWindow += increment;
                } else if (streamWindows.containsKey(raw.stream)) {
                    streamWindows.put(raw.stream, streamWindows.get(raw.stream) + increment);
                }
                notifyAll();
            }
        }
    }

    private void applySettings(byte[] payload) {
        for (int i = 0; i + 6 <= payload.length; i += 6) {
            int id = ((payload[i] & 0xff) << 8) | (payload[i + 1] & 0xff);
            long value = FrameCodec.uint32(payload, i + 2);
            if (id == 4) { // INITIAL_WINDOW_SIZE applies to every open stream (§6.9.2)
                long delta = value - initialWindow;
                initialWindow = (int) value;
                for (java.util.Map.Entry<Integer, Long> e : streamWindows.entrySet()) {
                    e.setValue(e.getValue() + delta);
                }
            } else if (id == 5) {
                peerMaxFrame = (int) value;
            }
        }
    }

    private synchronized void record(Frame frame) {
        frames.add(frame);
        notifyAll();
    }

    private synchronized void closed(String reason) {
        if (closedReason == null) {
            closedReason = reason;
            closedAt = now();
        }
        notifyAll();
    }

    // ---- waiting

    /** The first recorded frame at or after index {@code from} that matches, waiting until the deadline; else null. */
    synchronized Frame await(Match match, int from, long deadlineNanos) {
        int i = from;
        while (true) {
            for (; i < frames.size(); i++) {
                if (match.test(frames.get(i))) {
                    return frames.get(i);
                }
            }
            long waitMs = (deadlineNanos - System.nanoTime()) / 1000000;
            if (waitMs <= 0 || closedReason != null) {
                return null;
            }
            try {
                wait(waitMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return null;
            }
        }
    }

    /** Waits until the deadline (or until the connection closes), recording what arrives. */
    synchronized void settle(long deadlineNanos) {
        await(new Match() {
            @Override
            public boolean test(Frame frame) {
                return false;
            }
        }, frames.size(), deadlineNanos);
    }

    synchronized int mark() {
        return frames.size();
    }

    synchronized List<Frame> frames() {
        return new ArrayList<Frame>(frames);
    }

    synchronized String closedReason() {
        return closedReason;
    }

    synchronized double closedAt() {
        return closedAt;
    }

    static long deadline(long millis) {
        return System.nanoTime() + millis * 1000000L;
    }

    /** The frames the server sent on {@code stream}, from the recorded ones. */
    static List<Frame> received(List<Frame> frames, int stream) {
        List<Frame> result = new ArrayList<Frame>();
        for (Frame f : frames) {
            if (!f.sent && f.stream == stream) {
                result.add(f);
            }
        }
        return result;
    }
}
