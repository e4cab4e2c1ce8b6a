package io.turnstile.proxy.audit;

import io.turnstile.store.PullRecord;

/**
 * Where the data plane reports each manifest GET it answered 200. Called on event loops: an
 * implementation never blocks and never throws.
 */
public interface PullRecorder {
  /** Records nothing: the audit log is off. */
  PullRecorder OFF = r -> { };

  void pulled(PullRecord record);
}
