package io.turnstile.store;

import java.util.List;

/**
 * One page of pull records, newest first.
 *
 * @param next an opaque cursor for the following page; null when this page is the last
 */
public record PullPage(List<PullRecord> pulls, String next) {
  public PullPage {
    pulls = List.copyOf(pulls);
  }
}
