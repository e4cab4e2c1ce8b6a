package io.turnstile.store;

/**
 * The vendor's activity log: every recorded change (the events behind license history) and every
 * console sign-in, read newest first. Blocking.
 */
public interface ActivityLog {
  ActivityPage find(ActivityQuery query);

  /**
   * Records an action that changes nothing in the store, such as a sign-in or a failed one.
   *
   * @param action e.g. {@code sign_in.succeeded}; must start with {@link #SIGN_IN_PREFIX}
   */
  void record(String actor, String action, String detail);

  /** Actions about console sign-ins start with this. */
  String SIGN_IN_PREFIX = "sign_in.";
}
