package dev.h2patch.it;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Unary calls with a real grpc-java client (grpc-netty-shaded, plaintext, prior-knowledge h2c), without protoc: the
 * messages are raw bytes (pass-through marshallers). One channel per call, shut down afterwards.
 */
public final class GrpcCalls {
    public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(5);

    private GrpcCalls() {}

    /** The outcome of one call: its status, and the response message when the status is OK (else null). */
    public record Outcome(Status status, byte[] response) {
        public Status.Code code() {
            return status.getCode();
        }

        public String description() {
            return status.getDescription();
        }

        /** E.g. {@code NOT_FOUND: no such thing} or {@code INTERNAL: ...}. */
        @Override
        public String toString() {
            return status.getCode() + (status.getDescription() == null ? "" : ": " + status.getDescription())
                    + (status.getCause() == null ? "" : " (cause: " + status.getCause() + ")");
        }
    }

    /** {@code MethodDescriptor<byte[], byte[]>} for a unary method, e.g. {@code h2patch.Test/Fail}. */
    public static MethodDescriptor<byte[], byte[]> unaryMethod(String fullMethodName) {
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(fullMethodName)
                .setRequestMarshaller(BytesMarshaller.INSTANCE)
                .setResponseMarshaller(BytesMarshaller.INSTANCE)
                .build();
    }

    /** Calls {@code fullMethodName} (e.g. {@code h2patch.Test/Fail}) on 127.0.0.1:port with a 5 s deadline. */
    public static Outcome unary(int port, String fullMethodName, byte[] request) {
        return unary("127.0.0.1", port, fullMethodName, request, DEFAULT_DEADLINE);
    }

    /** Calls with an empty request message. */
    public static Outcome unary(int port, String fullMethodName) {
        return unary(port, fullMethodName, new byte[0]);
    }

    public static Outcome unary(String host, int port, String fullMethodName, byte[] request, Duration deadline) {
        ManagedChannel channel = NettyChannelBuilder.forAddress(host, port).usePlaintext().build();
        try {
            byte[] response = ClientCalls.blockingUnaryCall(channel, unaryMethod(fullMethodName),
                    CallOptions.DEFAULT.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS), request);
            return new Outcome(Status.OK, response);
        } catch (StatusRuntimeException e) {
            return new Outcome(e.getStatus(), null);
        } finally {
            channel.shutdownNow();
            try {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** {@code MethodDescriptor<byte[], byte[]>} for a client-streaming method, e.g. {@code h2patch.Test/RejectUpload}. */
    public static MethodDescriptor<byte[], byte[]> clientStreamingMethod(String fullMethodName) {
        return MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.CLIENT_STREAMING)
                .setFullMethodName(fullMethodName)
                .setRequestMarshaller(BytesMarshaller.INSTANCE)
                .setResponseMarshaller(BytesMarshaller.INSTANCE)
                .build();
    }

    /**
     * A client-streaming call: sends {@code message} every {@code interval} until {@code streamFor} has passed (or the
     * call has ended), then half-closes, and waits for the outcome within {@code deadline}.
     */
    public static Outcome clientStream(String host, int port, String fullMethodName, byte[] message,
                                       Duration streamFor, Duration interval, Duration deadline) {
        ManagedChannel channel = NettyChannelBuilder.forAddress(host, port).usePlaintext().build();
        try {
            java.util.concurrent.CompletableFuture<Outcome> outcome = new java.util.concurrent.CompletableFuture<>();
            io.grpc.stub.StreamObserver<byte[]> requests = ClientCalls.asyncClientStreamingCall(
                    channel.newCall(clientStreamingMethod(fullMethodName),
                            CallOptions.DEFAULT.withDeadlineAfter(deadline.toMillis(), TimeUnit.MILLISECONDS)),
                    new io.grpc.stub.StreamObserver<byte[]>() {
                        private byte[] response;

                        @Override
                        public void onNext(byte[] value) {
                            response = value;
                        }

                        @Override
                        public void onError(Throwable t) {
                            outcome.complete(new Outcome(Status.fromThrowable(t), null));
                        }

                        @Override
                        public void onCompleted() {
                            outcome.complete(new Outcome(Status.OK, response));
                        }
                    });
            long end = System.nanoTime() + streamFor.toNanos();
            requests.onNext(message);
            while (System.nanoTime() < end && !outcome.isDone()) {
                Thread.sleep(interval.toMillis());
                if (!outcome.isDone()) {
                    requests.onNext(message);
                }
            }
            requests.onCompleted();
            return outcome.get(deadline.toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (Exception e) {
            return new Outcome(Status.UNKNOWN.withDescription("client-streaming call failed in the test").withCause(e),
                    null);
        } finally {
            channel.shutdownNow();
            try {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Pass-through marshaller: the message is its bytes. */
    public enum BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
        INSTANCE;

        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
