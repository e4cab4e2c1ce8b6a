package io.turnstile.proxy.audit;

import io.turnstile.store.PullRecord;
import java.net.InetAddress;
import java.util.Objects;

/**
 * Where the data plane reports each manifest GET it answered 200, the tags its {@code HEAD}s
 * resolved, and the blob bytes it sent.
 * Called on event loops: an implementation never blocks and never throws.
 */
public interface PullRecorder {
  /** Records nothing: the audit log is off. */
  PullRecorder OFF = new PullRecorder() {
    @Override
    public void pulled(PullRecord record, JoinKey joinKey) { }

    @Override
    public void blobBytes(JoinKey joinKey, long bytes) { }

    @Override
    public void resolved(JoinKey joinKey, String tag, String digest) { }
  };

  /**
   * Who pulls where: the exact key (its id, never the secret), the repository and the client's
   * address. Its parts are long-lived objects whose hashes are cached, so a lookup hashes no new
   * text. Kept in memory only.
   */
  record JoinKey(String credentialId, String repository, InetAddress client) {
    // Written out: the generic record methods cost more on the pull path.
    @Override
    public boolean equals(Object o) {
      return o instanceof JoinKey k && credentialId.equals(k.credentialId) && repository.equals(k.repository)
          && Objects.equals(client, k.client);
    }

    @Override
    public int hashCode() {
      return (credentialId.hashCode() * 31 + repository.hashCode()) * 31 + Objects.hashCode(client);
    }
  }

  /**
   * A manifest GET answered 200.
   *
   * @param joinKey names the client's key, repository and address: blob bytes sent under the same
   *     key, until its next manifest or a quiet spell, are joined to this record; null joins none
   */
  void pulled(PullRecord record, JoinKey joinKey);

  /** {@code bytes} of blobs sent under {@code joinKey}. */
  void blobBytes(JoinKey joinKey, long bytes);

  /**
   * A {@code HEAD} by {@code tag} answered with manifest {@code digest} under {@code joinKey}: the GET
   * by digest that follows (as docker and containerd pull a tag) is a pull of that tag.
   */
  void resolved(JoinKey joinKey, String tag, String digest);
}
