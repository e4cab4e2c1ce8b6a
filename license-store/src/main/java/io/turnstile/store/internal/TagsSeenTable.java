package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.TAGS_SEEN;

import io.turnstile.store.InvalidInputException;
import io.turnstile.store.TagsSeen;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.jooq.DSLContext;

/**
 * The {@code tags_seen} table: when Turnstile first saw each tag. Rows are only inserted, with
 * {@code ON CONFLICT DO NOTHING}, so of several replicas seeing a tag the first to commit dates it
 * and no later sighting moves it; every record is read back, so memory holds what the table holds.
 */
final class TagsSeenTable {
  /** Tags per statement: keeps {@code IN} lists and batches small. */
  private static final int CHUNK = 500;

  private final StoreWriter writer;
  private final TagsSeen seen;
  private final Clock clock;

  TagsSeenTable(StoreWriter writer, TagsSeen seen, Clock clock) {
    this.writer = writer;
    this.seen = seen;
    this.clock = clock;
  }

  /** Loads every recorded sighting into memory. */
  void loadAll(DSLContext dsl) {
    try (var cursor = dsl.select(TAGS_SEEN.REPOSITORY, TAGS_SEEN.TAG, TAGS_SEEN.FIRST_SEEN_AT).from(TAGS_SEEN)
        .fetchSize(10_000).fetchLazy()) {
      for (var r : cursor) {
        seen.learn(r.value1(), r.value2(), Instant.ofEpochMilli(r.value3()));
      }
    }
  }

  /** Records first sightings of the tags memory does not know yet; answers how many were new. */
  int record(String repository, Collection<String> tags) {
    if (repository == null || repository.isBlank()) {
      throw new InvalidInputException("repository", "is required");
    }
    List<String> unknown = new ArrayList<>();
    Set<String> distinct = new LinkedHashSet<>(tags);
    for (String tag : distinct) {
      if (tag != null && !tag.isEmpty() && tag.length() <= 128 && !seen.knows(repository, tag)) {
        unknown.add(tag);
      }
    }
    int added = 0;
    for (int from = 0; from < unknown.size(); from += CHUNK) {
      List<String> chunk = unknown.subList(from, Math.min(unknown.size(), from + CHUNK));
      added += writer.writeWithoutEvents(tx -> insertAndReadBack(tx, repository, chunk));
    }
    return added;
  }

  private int insertAndReadBack(DSLContext tx, String repository, List<String> tags) {
    // The time is taken inside the transaction, after the tags were seen: never earlier than the
    // sighting, so a tag seen after an expiry is never dated before it.
    long now = clock.millis();
    int added = 0;
    for (String tag : tags) {
      added += tx.insertInto(TAGS_SEEN)
          .set(TAGS_SEEN.REPOSITORY, repository)
          .set(TAGS_SEEN.TAG, tag)
          .set(TAGS_SEEN.FIRST_SEEN_AT, now)
          .onConflictDoNothing()
          .execute();
    }
    tx.select(TAGS_SEEN.TAG, TAGS_SEEN.FIRST_SEEN_AT).from(TAGS_SEEN)
        .where(TAGS_SEEN.REPOSITORY.eq(repository), TAGS_SEEN.TAG.in(tags))
        .forEach(r -> seen.learn(repository, r.value1(), Instant.ofEpochMilli(r.value2())));
    return added;
  }
}
