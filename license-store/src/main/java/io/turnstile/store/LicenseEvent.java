package io.turnstile.store;

import java.time.Instant;

/** One recorded change: who did what, when. */
public record LicenseEvent(Instant at, String actor, String action, String detail) {}
