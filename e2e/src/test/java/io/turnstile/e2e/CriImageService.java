package io.turnstile.e2e;

import io.grpc.CallOptions;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The kubelet's side of CRI image pulls: {@code runtime.v1.ImageService/PullImage} over the
 * runtime's unix socket, with the credentials the kubelet found in an imagePullSecret as {@code
 * AuthConfig}. The few messages are written and read by hand, field numbers as in the CRI's
 * {@code api.proto} (k8s.io/cri-api, runtime/v1).
 */
final class CriImageService implements AutoCloseable {
  /** The outcome of one pull: the image id the runtime answers, or the gRPC error it gave. */
  record Pull(String imageRef, String error) {
    boolean ok() {
      return error == null;
    }
  }

  private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new java.io.ByteArrayInputStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        return stream.readAllBytes();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }
  };

  private static final MethodDescriptor<byte[], byte[]> PULL_IMAGE = MethodDescriptor.<byte[], byte[]>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName("runtime.v1.ImageService/PullImage")
      .setRequestMarshaller(BYTES)
      .setResponseMarshaller(BYTES)
      .build();

  private final ManagedChannel channel;

  CriImageService(String socket) {
    this.channel = Grpc.newChannelBuilder("unix://" + socket, InsecureChannelCredentials.create()).build();
  }

  /**
   * {@code PullImage{image: {image}, auth: {username, password}}}, as the kubelet sends it for a
   * pull secret's entry (it leaves {@code server_address} empty); a null username sends no {@code
   * auth}.
   */
  Pull pull(String image, String username, String password) {
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    // PullImageRequest.image (1): ImageSpec{image (1)}
    message(request, 1, string(1, image));
    if (username != null) {
      // PullImageRequest.auth (2): AuthConfig{username (1), password (2)}
      ByteArrayOutputStream auth = new ByteArrayOutputStream();
      auth.writeBytes(string(1, username));
      auth.writeBytes(string(2, password));
      message(request, 2, auth.toByteArray());
    }
    try {
      byte[] response = ClientCalls.blockingUnaryCall(channel, PULL_IMAGE,
          CallOptions.DEFAULT.withDeadlineAfter(2, TimeUnit.MINUTES), request.toByteArray());
      // PullImageResponse.image_ref (1)
      return new Pull(readString(response, 1), null);
    } catch (StatusRuntimeException e) {
      return new Pull(null, e.getStatus().getCode() + ": " + e.getStatus().getDescription());
    }
  }

  private static byte[] string(int field, String value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    message(out, field, value.getBytes(StandardCharsets.UTF_8));
    return out.toByteArray();
  }

  /** A length-delimited field (wire type 2). */
  private static void message(ByteArrayOutputStream out, int field, byte[] value) {
    varint(out, (long) field << 3 | 2);
    varint(out, value.length);
    out.writeBytes(value);
  }

  private static void varint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) (v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out.write((int) v);
  }

  /** The first length-delimited {@code field} of a message, as UTF-8; null when absent. */
  private static String readString(byte[] message, int field) {
    int[] pos = {0};
    while (pos[0] < message.length) {
      long key = readVarint(message, pos);
      int type = (int) (key & 7);
      switch (type) {
        case 0 -> readVarint(message, pos);
        case 1 -> pos[0] += 8;
        case 5 -> pos[0] += 4;
        case 2 -> {
          int length = (int) readVarint(message, pos);
          if (key >>> 3 == field) {
            return new String(message, pos[0], length, StandardCharsets.UTF_8);
          }
          pos[0] += length;
        }
        default -> throw new IllegalStateException("wire type " + type + " in a CRI answer");
      }
    }
    return null;
  }

  private static long readVarint(byte[] b, int[] pos) {
    long v = 0;
    for (int shift = 0; ; shift += 7) {
      byte x = b[pos[0]++];
      v |= (long) (x & 0x7F) << shift;
      if (x >= 0) {
        return v;
      }
    }
  }

  @Override
  public void close() {
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
