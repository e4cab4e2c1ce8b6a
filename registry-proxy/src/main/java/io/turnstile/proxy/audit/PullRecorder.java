package io.turnstile.proxy.audit;

import io.turnstile.store.PullRecord;

/**
 * Where the data plane reports each manifest GET it answered 200, and the blob bytes it sent.
 * Called on event loops: an implementation never blocks and never throws.
 */
public interface PullRecorder {
  /** Records nothing: the audit log is off. */
  PullRecorder OFF = new PullRecorder() {
    @Override
    public void pulled(PullRecord record, String joinKey) { }

    @Override
    public void blobBytes(String joinKey, long bytes) { }
  };

  /**
   * A manifest GET answered 200.
   *
   * @param joinKey names the client's key, repository and address: blob bytes sent under the same
   *     key, until its next manifest or a quiet spell, are joined to this record; null joins none
   */
  void pulled(PullRecord record, String joinKey);

  /** {@code bytes} of blobs sent under {@code joinKey}. */
  void blobBytes(String joinKey, long bytes);
}
