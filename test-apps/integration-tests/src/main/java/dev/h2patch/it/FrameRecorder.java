package dev.h2patch.it;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersEncoder;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.StringJoiner;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * A tiny raw HTTP/2 (h2c, prior knowledge) client over a plain {@link Socket} that records every frame the server
 * sends. HPACK comes from Netty's encoder/decoder; everything else is hand-rolled so that nothing between the wire and
 * the recording reorders, merges or hides frames.
 *
 * <p>Typical use is {@link #exchange(int, Request)}. For finer control: {@link #connect(int)} (sends nothing),
 * {@link #sendPreface()}, {@link #request(Request)}, then {@link #awaitStreamEnd}, {@link #readUntil},
 * {@link #readFor}. A daemon thread reads frames as they arrive, ACKs the server's SETTINGS and PINGs (once the
 * preface is sent; before that it only records), and keeps the HPACK decoder in step. Flow control: the preface
 * advertises a stream window of 2^31-1 and raises the connection window to 2^31-1, so no WINDOW_UPDATE is needed.
 *
 * <p>Over TLS ({@link #connectTls}, or {@link Transport#TLS}): an {@link SSLSocket} that trusts any certificate (the
 * test apps' key is generated at test time), offers only ALPN {@code h2} and finishes the handshake before
 * {@code connect} returns; times ("nanos since connect") then count from the end of the handshake, and requests carry
 * {@code :scheme https}.
 *
 * <p>Limitation: a SETTINGS_HEADER_TABLE_SIZE from the server is not applied to the request encoder (the apps never
 * send one).
 */
public final class FrameRecorder implements Closeable {
    public static final byte[] CLIENT_PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
    /** How long {@link #exchange} keeps reading after the stream ended, to catch frames that should not come. */
    public static final Duration DEFAULT_SETTLE = Duration.ofMillis(300);

    private static final int SETTINGS_ENABLE_PUSH = 0x2;
    private static final int SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
    private static final int MAX_WINDOW = Integer.MAX_VALUE;
    private static final int MAX_FRAME_SIZE = 16384;

    /** How the recorder reaches the server: h2c with prior knowledge, or TLS with ALPN h2. */
    public enum Transport {
        H2C, TLS;

        /** Connects to 127.0.0.1:port (for TLS: the handshake done, h2 agreed) and sends nothing yet. */
        public FrameRecorder connect(int port) throws IOException {
            return this == TLS ? connectTls("127.0.0.1", port) : FrameRecorder.connect(port);
        }

        /** {@link FrameRecorder#exchange(int, Request, Duration, Duration)} over this transport. */
        public Exchange exchange(int port, Request request, Duration timeout, Duration settle)
                throws IOException, InterruptedException {
            return FrameRecorder.exchange(this, port, request, timeout, settle);
        }

        /** {@link #exchange(int, Request, Duration, Duration)} with a 5 s timeout and 300 ms settle time. */
        public Exchange exchange(int port, Request request) throws IOException, InterruptedException {
            return exchange(port, request, DEFAULT_TIMEOUT, DEFAULT_SETTLE);
        }
    }

    private final Socket socket;
    private final String authority;
    private final String scheme;
    private final long connectNanos;
    private final OutputStream out;
    private final Object writeLock = new Object();
    private final DefaultHttp2HeadersEncoder encoder =
            new DefaultHttp2HeadersEncoder(Http2HeadersEncoder.NEVER_SENSITIVE, false);
    private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false, 1 << 20);

    /** Guarded by itself; notified on every new frame and on close. */
    private final List<Frame> frames = new ArrayList<>();
    private final Thread reader;
    private volatile boolean prefaceSent;
    private volatile long prefaceSentNanos = -1;
    private volatile long firstServerSettingsNanos = -1;
    private volatile boolean peerClosed;
    private volatile long peerClosedNanos = -1;
    private volatile IOException readError;
    private volatile boolean closing;
    /** Frames to answer once the preface is sent (SETTINGS ACK, PING ACK payloads). Guarded by writeLock. */
    private final List<byte[]> pendingAcks = new ArrayList<>();
    private int nextStreamId = 1;

    // header block being assembled over HEADERS/PUSH_PROMISE + CONTINUATION; reader thread only
    private ByteArrayOutputStream headerBlock;

    private FrameRecorder(Socket socket, String authority, String scheme) throws IOException {
        this.socket = socket;
        this.authority = authority;
        this.scheme = scheme;
        this.connectNanos = System.nanoTime();
        this.out = socket.getOutputStream();
        DataInputStream in = new DataInputStream(socket.getInputStream());
        this.reader = new Thread(() -> readLoop(in), "frame-recorder-" + socket.getLocalPort());
        this.reader.setDaemon(true);
        this.reader.start();
    }

    /** Connects to 127.0.0.1:port and sends nothing yet. */
    public static FrameRecorder connect(int port) throws IOException {
        return connect("127.0.0.1", port);
    }

    /** Connects (5 s connect timeout) and sends nothing yet. */
    public static FrameRecorder connect(String host, int port) throws IOException {
        Socket s = new Socket();
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(host, port), 5000);
        return new FrameRecorder(s, host + ":" + port, "http");
    }

    /**
     * Connects with TLS (5 s connect timeout, 5 s for the handshake), trusting any certificate and offering only ALPN
     * {@code h2}; returns once the handshake is done and sends nothing yet. Fails when the server did not pick h2.
     */
    public static FrameRecorder connectTls(String host, int port) throws IOException {
        Socket plain = new Socket();
        plain.setTcpNoDelay(true);
        plain.connect(new InetSocketAddress(host, port), 5000);
        SSLSocket s = (SSLSocket) trustAll().getSocketFactory().createSocket(plain, host, port, true);
        SSLParameters params = s.getSSLParameters();
        params.setApplicationProtocols(new String[] {"h2"});
        s.setSSLParameters(params);
        s.setSoTimeout(5000);
        try {
            s.startHandshake();
        } catch (IOException e) {
            s.close();
            throw e;
        }
        s.setSoTimeout(0);
        if (!"h2".equals(s.getApplicationProtocol())) {
            String got = s.getApplicationProtocol();
            s.close();
            throw new IOException("ALPN: " + host + ":" + port + " did not pick h2 (got \"" + got + "\")");
        }
        return new FrameRecorder(s, host + ":" + port, "https");
    }

    /** A TLS context that accepts any server certificate: only for the tests' own, generated, key. */
    private static SSLContext trustAll() throws IOException {
        TrustManager any = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(null, new TrustManager[] {any}, new SecureRandom());
            return context;
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot set up TLS", e);
        }
    }

    /** Whether this connection is TLS. */
    public boolean tls() {
        return socket instanceof SSLSocket;
    }

    /**
     * Connects, sends the preface and {@code request}, waits (at most {@code timeout}) for the stream to end, keeps
     * reading for {@code settle} more, and closes the connection.
     */
    public static Exchange exchange(int port, Request request, Duration timeout, Duration settle)
            throws IOException, InterruptedException {
        return exchange(Transport.H2C, port, request, timeout, settle);
    }

    /** {@link #exchange(int, Request, Duration, Duration)} over {@code transport}. */
    public static Exchange exchange(Transport transport, int port, Request request, Duration timeout, Duration settle)
            throws IOException, InterruptedException {
        try (FrameRecorder r = transport.connect(port)) {
            r.sendPreface();
            int id = r.request(request);
            r.awaitStreamEnd(id, timeout);
            r.readFor(settle);
            return new Exchange(request, id, r.frames(), r.streamEnded(id), r.firstServerSettingsNanos());
        }
    }

    /** {@link #exchange(int, Request, Duration, Duration)} with a 5 s timeout and 300 ms settle time. */
    public static Exchange exchange(int port, Request request) throws IOException, InterruptedException {
        return exchange(port, request, DEFAULT_TIMEOUT, DEFAULT_SETTLE);
    }

    // ---------------------------------------------------------------------------------------------------- sending

    /**
     * Sends the client connection preface, a SETTINGS frame (ENABLE_PUSH=0, INITIAL_WINDOW_SIZE=2^31-1), and a
     * connection WINDOW_UPDATE up to 2^31-1; then answers whatever SETTINGS/PING arrived before.
     */
    public void sendPreface() throws IOException {
        Map<Integer, Long> settings = new LinkedHashMap<>();
        settings.put(SETTINGS_ENABLE_PUSH, 0L);
        settings.put(SETTINGS_INITIAL_WINDOW_SIZE, (long) MAX_WINDOW);
        sendPreface(settings, MAX_WINDOW - 65535);
    }

    /**
     * Sends the preface with the given SETTINGS (an empty map sends an empty SETTINGS frame) and, when
     * {@code connectionWindowIncrement > 0}, a connection WINDOW_UPDATE.
     */
    public void sendPreface(Map<Integer, Long> settings, int connectionWindowIncrement) throws IOException {
        byte[] payload = new byte[settings.size() * 6];
        int i = 0;
        for (Map.Entry<Integer, Long> e : settings.entrySet()) {
            putShort(payload, i, e.getKey());
            putInt(payload, i + 2, e.getValue().intValue());
            i += 6;
        }
        synchronized (writeLock) {
            out.write(CLIENT_PREFACE);
            writeFrameLocked(Frame.SETTINGS, 0, 0, payload);
            if (connectionWindowIncrement > 0) {
                byte[] inc = new byte[4];
                putInt(inc, 0, connectionWindowIncrement);
                writeFrameLocked(Frame.WINDOW_UPDATE, 0, 0, inc);
            }
            prefaceSentNanos = System.nanoTime() - connectNanos;
            prefaceSent = true;
            for (byte[] ack : pendingAcks) {
                out.write(ack);
            }
            pendingAcks.clear();
            out.flush();
        }
    }

    /**
     * Sends {@code request} on the next client stream id (1, 3, 5, ...) and returns that id: HEADERS (+ CONTINUATION
     * if the block exceeds 16384 bytes), then the body as DATA frames with END_STREAM on the last.
     */
    public int request(Request request) throws IOException {
        return send(request, true);
    }

    /**
     * Like {@link #request(Request)} but leaves the stream open: HEADERS without END_STREAM and the body, if any, as
     * DATA frames without END_STREAM. Continue with {@link #sendData(int, byte[], boolean)}.
     */
    public int openStream(Request request) throws IOException {
        return send(request, false);
    }

    /** Sends {@code data} on an open stream as one DATA frame (at most 16384 bytes), with END_STREAM if asked. */
    public void sendData(int streamId, byte[] data, boolean endStream) throws IOException {
        if (data.length > MAX_FRAME_SIZE) {
            throw new IllegalArgumentException("one DATA frame carries at most " + MAX_FRAME_SIZE + " bytes");
        }
        sendFrame(Frame.DATA, endStream ? Frame.FLAG_END_STREAM : 0, streamId, data);
    }

    private int send(Request request, boolean end) throws IOException {
        Http2Headers h = new DefaultHttp2Headers(false);
        h.method(request.method());
        h.path(request.path());
        h.scheme(scheme);
        h.authority(request.authority() != null ? request.authority() : authority);
        for (Frame.Header header : request.headers()) {
            h.add(header.name(), header.value());
        }
        byte[] body = request.body();
        synchronized (writeLock) {
            int id = nextStreamId;
            nextStreamId += 2;
            ByteBuf buf = Unpooled.buffer();
            byte[] block;
            try {
                encoder.encodeHeaders(id, h, buf);
                block = new byte[buf.readableBytes()];
                buf.readBytes(block);
            } catch (Http2Exception e) {
                throw new IOException("cannot encode request headers " + h, e);
            } finally {
                buf.release();
            }
            int endStream = body == null && end ? Frame.FLAG_END_STREAM : 0;
            int off = 0;
            boolean first = true;
            do {
                int n = Math.min(MAX_FRAME_SIZE, block.length - off);
                boolean last = off + n == block.length;
                int flags = (last ? Frame.FLAG_END_HEADERS : 0) | (first ? endStream : 0);
                writeFrameLocked(first ? Frame.HEADERS : Frame.CONTINUATION, flags, id,
                        Arrays.copyOfRange(block, off, off + n));
                off += n;
                first = false;
            } while (off < block.length);
            if (body != null) {
                int boff = 0;
                do {
                    int n = Math.min(MAX_FRAME_SIZE, body.length - boff);
                    boolean last = boff + n == body.length;
                    writeFrameLocked(Frame.DATA, last && end ? Frame.FLAG_END_STREAM : 0, id,
                            Arrays.copyOfRange(body, boff, boff + n));
                    boff += n;
                } while (boff < body.length);
            }
            out.flush();
            return id;
        }
    }

    /** Sends one raw frame (for tests that need to misbehave: RST_STREAM, GOAWAY, odd flags, ...). */
    public void sendFrame(int type, int flags, int streamId, byte[] payload) throws IOException {
        synchronized (writeLock) {
            writeFrameLocked(type, flags, streamId, payload);
            out.flush();
        }
    }

    /** Sends raw bytes as they are. */
    public void sendRaw(byte[] bytes) throws IOException {
        synchronized (writeLock) {
            out.write(bytes);
            out.flush();
        }
    }

    private void writeFrameLocked(int type, int flags, int streamId, byte[] payload) throws IOException {
        out.write(frameBytes(type, flags, streamId, payload));
    }

    private static byte[] frameBytes(int type, int flags, int streamId, byte[] payload) {
        byte[] f = new byte[9 + payload.length];
        f[0] = (byte) (payload.length >>> 16);
        f[1] = (byte) (payload.length >>> 8);
        f[2] = (byte) payload.length;
        f[3] = (byte) type;
        f[4] = (byte) flags;
        putInt(f, 5, streamId & 0x7fffffff);
        System.arraycopy(payload, 0, f, 9, payload.length);
        return f;
    }

    /** Queues or sends an ACK frame from the reader thread. */
    private void ack(int type, byte[] payload) {
        byte[] frame = frameBytes(type, Frame.FLAG_ACK, 0, payload);
        synchronized (writeLock) {
            if (!prefaceSent) {
                pendingAcks.add(frame);
                return;
            }
            try {
                out.write(frame);
                out.flush();
            } catch (IOException e) {
                // the connection is going away; the reader will see it
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------- reading

    private void readLoop(DataInputStream in) {
        try {
            byte[] head = new byte[9];
            while (true) {
                in.readFully(head);
                int length = ((head[0] & 0xff) << 16) | ((head[1] & 0xff) << 8) | (head[2] & 0xff);
                int type = head[3] & 0xff;
                int flags = head[4] & 0xff;
                int streamId = getInt(head, 5) & 0x7fffffff;
                byte[] payload = new byte[length];
                in.readFully(payload);
                long nanos = System.nanoTime() - connectNanos;
                Frame frame = parse(type, flags, streamId, length, payload, nanos);
                synchronized (frames) {
                    frames.add(frame);
                    frames.notifyAll();
                }
            }
        } catch (EOFException e) {
            // server closed the connection
        } catch (IOException e) {
            if (!closing) {
                readError = e;
            }
        } finally {
            peerClosedNanos = System.nanoTime() - connectNanos;
            peerClosed = true;
            synchronized (frames) {
                frames.notifyAll();
            }
        }
    }

    private Frame parse(int type, int flags, int streamId, int length, byte[] payload, long nanos) {
        List<Frame.Header> headers = List.of();
        long errorCode = -1;
        String detail = "";
        byte[] kept = payload;
        switch (type) {
            case Frame.DATA: {
                kept = stripPadding(flags, payload, 0);
                break;
            }
            case Frame.HEADERS:
            case Frame.PUSH_PROMISE:
            case Frame.CONTINUATION: {
                byte[] fragment;
                if (type == Frame.CONTINUATION) {
                    fragment = payload;
                } else {
                    int skip = type == Frame.HEADERS
                            ? ((flags & Frame.FLAG_PRIORITY) != 0 ? 5 : 0)
                            : 4; // promised stream id
                    if (type == Frame.PUSH_PROMISE && payload.length >= skip + ((flags & Frame.FLAG_PADDED) != 0 ? 1 : 0)) {
                        int p = (flags & Frame.FLAG_PADDED) != 0 ? 1 : 0;
                        detail = "promised=" + (getInt(payload, p) & 0x7fffffff);
                    }
                    fragment = stripPadding(flags, payload, skip);
                    headerBlock = new ByteArrayOutputStream();
                }
                if (headerBlock == null) {
                    detail = "(CONTINUATION without a header block in progress)";
                    break;
                }
                headerBlock.writeBytes(fragment);
                if ((flags & Frame.FLAG_END_HEADERS) != 0) {
                    headers = decode(streamId, headerBlock.toByteArray());
                    if (headers == null) {
                        headers = List.of();
                        detail = (detail + " HPACK-ERROR").trim();
                    }
                    headerBlock = null;
                }
                break;
            }
            case Frame.RST_STREAM: {
                if (payload.length >= 4) {
                    errorCode = getInt(payload, 0) & 0xffffffffL;
                    detail = "error=" + Frame.errorName(errorCode);
                }
                break;
            }
            case Frame.SETTINGS: {
                if ((flags & Frame.FLAG_ACK) == 0) {
                    if (firstServerSettingsNanos < 0) {
                        firstServerSettingsNanos = nanos;
                    }
                    StringJoiner j = new StringJoiner(", ", "{", "}");
                    for (int i = 0; i + 6 <= payload.length; i += 6) {
                        int id = ((payload[i] & 0xff) << 8) | (payload[i + 1] & 0xff);
                        j.add(settingName(id) + "=" + (getInt(payload, i + 2) & 0xffffffffL));
                    }
                    detail = j.toString();
                    ack(Frame.SETTINGS, new byte[0]);
                }
                break;
            }
            case Frame.PING: {
                if ((flags & Frame.FLAG_ACK) == 0) {
                    ack(Frame.PING, payload);
                }
                break;
            }
            case Frame.GOAWAY: {
                if (payload.length >= 8) {
                    errorCode = getInt(payload, 4) & 0xffffffffL;
                    detail = "last-stream=" + (getInt(payload, 0) & 0x7fffffff) + " error=" + Frame.errorName(errorCode);
                    if (payload.length > 8) {
                        detail += " debug=\"" + new String(payload, 8, payload.length - 8, StandardCharsets.UTF_8)
                                + "\"";
                    }
                }
                break;
            }
            case Frame.WINDOW_UPDATE: {
                if (payload.length >= 4) {
                    detail = "increment=" + (getInt(payload, 0) & 0x7fffffff);
                }
                break;
            }
            default:
                break;
        }
        return new Frame(type, flags, streamId, length, headers, errorCode, nanos, kept, detail);
    }

    private List<Frame.Header> decode(int streamId, byte[] block) {
        ByteBuf buf = Unpooled.wrappedBuffer(block);
        try {
            Http2Headers decoded = decoder.decodeHeaders(streamId, buf);
            List<Frame.Header> list = new ArrayList<>();
            for (Map.Entry<CharSequence, CharSequence> e : decoded) {
                list.add(new Frame.Header(e.getKey().toString(), e.getValue().toString()));
            }
            return list;
        } catch (Http2Exception e) {
            return null;
        } finally {
            buf.release();
        }
    }

    private static byte[] stripPadding(int flags, byte[] payload, int skipAfterPadLength) {
        int start = 0;
        int pad = 0;
        if ((flags & Frame.FLAG_PADDED) != 0 && payload.length > 0) {
            pad = payload[0] & 0xff;
            start = 1;
        }
        start += skipAfterPadLength;
        int end = payload.length - pad;
        if (start > end) {
            return new byte[0];
        }
        return Arrays.copyOfRange(payload, start, end);
    }

    private static String settingName(int id) {
        switch (id) {
            case 0x1: return "HEADER_TABLE_SIZE";
            case 0x2: return "ENABLE_PUSH";
            case 0x3: return "MAX_CONCURRENT_STREAMS";
            case 0x4: return "INITIAL_WINDOW_SIZE";
            case 0x5: return "MAX_FRAME_SIZE";
            case 0x6: return "MAX_HEADER_LIST_SIZE";
            case 0x8: return "ENABLE_CONNECT_PROTOCOL";
            default: return String.format("0x%x", id);
        }
    }

    // ---------------------------------------------------------------------------------------------------- waiting

    /**
     * Waits until a received frame (already received ones included) matches {@code stop}, the peer closes the
     * connection, or {@code timeout} passes; returns all frames received so far.
     */
    public List<Frame> readUntil(Predicate<Frame> stop, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (frames) {
            int checked = 0;
            while (true) {
                for (; checked < frames.size(); checked++) {
                    if (stop.test(frames.get(checked))) {
                        return List.copyOf(frames);
                    }
                }
                long left = deadline - System.nanoTime();
                if (left <= 0 || peerClosed) {
                    return List.copyOf(frames);
                }
                TimeUnit.NANOSECONDS.timedWait(frames, left);
            }
        }
    }

    /** Waits until stream {@code streamId} ends (END_STREAM, RST_STREAM), the peer closes, or the timeout passes. */
    public List<Frame> awaitStreamEnd(int streamId, Duration timeout) throws InterruptedException {
        return readUntil(f -> endsStream(f, streamId), timeout);
    }

    /** Keeps reading for {@code duration} (less if the peer closes); returns all frames received so far. */
    public List<Frame> readFor(Duration duration) throws InterruptedException {
        return readUntil(f -> false, duration);
    }

    /** Waits for the server's first SETTINGS; returns its arrival (nanos since connect) or -1 on timeout. */
    public long awaitServerSettings(Duration timeout) throws InterruptedException {
        readUntil(f -> f.is(Frame.SETTINGS) && !f.ack(), timeout);
        return firstServerSettingsNanos;
    }

    private static boolean endsStream(Frame f, int streamId) {
        return f.streamId() == streamId && (f.endStream() || f.is(Frame.RST_STREAM));
    }

    public boolean streamEnded(int streamId) {
        synchronized (frames) {
            return frames.stream().anyMatch(f -> endsStream(f, streamId));
        }
    }

    /** All frames received so far. */
    public List<Frame> frames() {
        synchronized (frames) {
            return List.copyOf(frames);
        }
    }

    /** All frames received so far on one stream. */
    public List<Frame> streamFrames(int streamId) {
        return frames().stream().filter(f -> f.streamId() == streamId).collect(Collectors.toList());
    }

    /** HEADERS, CONTINUATION, DATA, RST_STREAM and PUSH_PROMISE frames of one stream (no flow control/priority). */
    public static List<Frame> responseFrames(List<Frame> frames, int streamId) {
        return frames.stream()
                .filter(f -> f.streamId() == streamId)
                .filter(f -> !f.is(Frame.WINDOW_UPDATE) && !f.is(Frame.PRIORITY))
                .collect(Collectors.toList());
    }

    /** When the server's first (non-ACK) SETTINGS arrived, nanos since connect; -1 if not yet. */
    public long firstServerSettingsNanos() {
        return firstServerSettingsNanos;
    }

    /** When {@link #sendPreface()} wrote the preface, nanos since connect; -1 if not yet. */
    public long prefaceSentNanos() {
        return prefaceSentNanos;
    }

    /** Whether the server closed the connection (or the read failed). */
    public boolean peerClosed() {
        return peerClosed;
    }

    /** When the server closed the connection (or the read failed), nanos since connect; -1 while it is open. */
    public long peerClosedNanos() {
        return peerClosedNanos;
    }

    /** The read error, if the connection failed other than by a clean close. */
    public IOException readError() {
        return readError;
    }

    /** One {@link Frame#describeTimed()} line per frame received so far. */
    public String describe() {
        List<Frame> fs = frames();
        return fs.isEmpty() ? "(no frames)" : fs.stream().map(Frame::describeTimed).collect(Collectors.joining("\n"));
    }

    @Override
    public String toString() {
        return describe();
    }

    @Override
    public void close() throws IOException {
        closing = true;
        socket.close();
        try {
            reader.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------------------------------------------- bytes

    private static void putShort(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 8);
        b[off + 1] = (byte) v;
    }

    private static void putInt(byte[] b, int off, int v) {
        b[off] = (byte) (v >>> 24);
        b[off + 1] = (byte) (v >>> 16);
        b[off + 2] = (byte) (v >>> 8);
        b[off + 3] = (byte) v;
    }

    private static int getInt(byte[] b, int off) {
        return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }
}
