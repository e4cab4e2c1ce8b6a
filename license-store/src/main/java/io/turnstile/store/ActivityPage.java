package io.turnstile.store;

import java.util.List;

/**
 * One page of vendor actions, newest first.
 *
 * @param next an opaque cursor for the following page; null when this page is the last
 */
public record ActivityPage(List<ActivityRecord> records, String next) {
  public ActivityPage {
    records = List.copyOf(records);
  }
}
