package io.turnstile.proxy.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.store.CustomerId;
import io.turnstile.store.LicenseId;
import io.turnstile.store.PullLog;
import io.turnstile.store.PullPage;
import io.turnstile.store.PullQuery;
import io.turnstile.store.PullRecord;
import io.turnstile.store.PullSummary;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /admin/v1/pulls}: the pull audit log as JSON pages, newest first with an opaque
 * cursor, or as one streamed CSV export ({@code Accept: text/csv} or {@code ?format=csv}); and the
 * pull summary that license and customer views carry.
 */
final class PullsApi {
  /** Records per JSON page when no {@code limit} is given. */
  static final int DEFAULT_LIMIT = 100;
  /** How far back a summary's versions reach. */
  static final Duration RECENT = Duration.ofDays(30);
  private static final Set<String> PARAMETERS =
      Set.of("licenseId", "customerId", "application", "since", "until", "limit", "cursor", "format");
  private static final String[] COLUMNS = {"at", "licenseId", "customerId", "credential", "application",
      "repository", "tag", "version", "digest", "clientAddress", "userAgent", "blobBytes", "count", "tokenId", "kind", "completed"};

  private final PullLog log;
  private final ObjectMapper json;
  private final Clock clock;

  PullsApi(PullLog log, ObjectMapper json, Clock clock) {
    this.log = log;
    this.json = json;
    this.clock = clock;
  }

  AdminResponse list(Map<String, List<String>> query, String accept) {
    LogQuery q = new LogQuery(query, PARAMETERS, accept);
    String license = q.text("licenseId");
    String customer = q.text("customerId");
    int limit = q.pageLimit(PullQuery.MAX_LIMIT, DEFAULT_LIMIT);
    PullQuery first = new PullQuery(license == null ? null : new LicenseId(license),
        customer == null ? null : new CustomerId(customer), q.text("application"), q.time("since"), q.time("until"),
        limit, q.text("cursor"));
    PullPage page = log.find(first);
    if (q.csv) {
      return AdminResponse.streamed(LogQuery.csv(COLUMNS, page, q.csvCap(),
          new LogQuery.Pages<>(PullPage::pulls, PullPage::next, next -> log.find(first.after(next)), PullsApi::values)));
    }
    ObjectNode out = json.createObjectNode();
    LogQuery.json(out.putArray("pulls"), COLUMNS, page.pulls(), PullsApi::values);
    out.put("next", page.next());
    return AdminResponse.ok(out);
  }

  /** {@code "pulls": {"last", "versions30d": [{"application","version","last"}]}} of a license or customer view. */
  ObjectNode summary(LicenseId id) {
    return view(log.summary(id, clock.instant().minus(RECENT)));
  }

  ObjectNode summary(CustomerId id) {
    return view(log.summary(id, clock.instant().minus(RECENT)));
  }

  private ObjectNode view(PullSummary s) {
    ObjectNode v = json.createObjectNode().put("last", s.last() == null ? null : s.last().toString());
    ArrayNode versions = v.putArray("versions30d");
    for (PullSummary.PulledVersion pv : s.versions()) {
      versions.addObject().put("application", pv.application()).put("version", pv.version())
          .put("last", pv.last().toString());
    }
    return v;
  }

  private static Object[] values(PullRecord r) {
    return new Object[] {r.at(), r.licenseId(), r.customerId(), r.credential().wireName(), r.application(),
        r.repository(), r.tag(), r.version(), r.digest(), r.clientAddress(), r.userAgent(), r.blobBytes(),
        (long) r.count(), r.tokenId(), r.kind(), r.completed()};
  }
}
