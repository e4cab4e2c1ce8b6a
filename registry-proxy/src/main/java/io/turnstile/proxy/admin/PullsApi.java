package io.turnstile.proxy.admin;

import static io.turnstile.proxy.admin.Query.one;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.store.CustomerId;
import io.turnstile.store.Expiry;
import io.turnstile.store.LicenseId;
import io.turnstile.store.PullLog;
import io.turnstile.store.PullPage;
import io.turnstile.store.PullQuery;
import io.turnstile.store.PullRecord;
import io.turnstile.store.PullSummary;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
      "repository", "tag", "version", "digest", "clientAddress", "userAgent", "blobBytes", "count"};

  private final PullLog log;
  private final ObjectMapper json;
  private final Clock clock;

  PullsApi(PullLog log, ObjectMapper json, Clock clock) {
    this.log = log;
    this.json = json;
    this.clock = clock;
  }

  AdminResponse list(Map<String, List<String>> query, String accept) {
    for (String name : query.keySet()) {
      if (!PARAMETERS.contains(name)) {
        throw ApiError.badRequest(name, "unknown parameter (expected one of " + PARAMETERS + ")");
      }
    }
    boolean csv = Query.csv(query, accept);
    String limitText = one(query, "limit");
    Integer limit = null;
    if (limitText != null) {
      try {
        limit = Integer.parseInt(limitText);
      } catch (NumberFormatException e) {
        throw ApiError.badRequest("limit", "must be a whole number");
      }
    }
    String license = one(query, "licenseId");
    String customer = one(query, "customerId");
    Instant since = time(query, "since");
    Instant until = time(query, "until");
    if (csv) {
      int cap = limit == null ? Integer.MAX_VALUE : limit;
      if (cap < 1) {
        throw ApiError.badRequest("limit", "must be at least 1");
      }
      PullQuery q = new PullQuery(license == null ? null : new LicenseId(license),
          customer == null ? null : new CustomerId(customer), one(query, "application"), since, until,
          Math.min(cap, PullQuery.MAX_LIMIT), one(query, "cursor"));
      // The first page is read here, so that a bad cursor or an unreachable store is still a JSON
      // error with its status; later failures can only cut the stream.
      PullPage first = log.find(q);
      return AdminResponse.streamed(csv(q, first, cap));
    }
    PullQuery q = new PullQuery(license == null ? null : new LicenseId(license),
        customer == null ? null : new CustomerId(customer), one(query, "application"), since, until,
        limit == null ? DEFAULT_LIMIT : limit, one(query, "cursor"));
    PullPage page = log.find(q);
    ObjectNode out = json.createObjectNode();
    ArrayNode list = out.putArray("pulls");
    page.pulls().forEach(r -> list.add(view(r)));
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

  private ObjectNode view(PullRecord r) {
    ObjectNode v = json.createObjectNode();
    Object[] values = values(r);
    for (int i = 0; i < COLUMNS.length; i++) {
      Object value = values[i];
      if (value instanceof Long n) {
        v.put(COLUMNS[i], n);
      } else {
        v.put(COLUMNS[i], value == null ? null : value.toString());
      }
    }
    return v;
  }

  private static Object[] values(PullRecord r) {
    return new Object[] {r.at(), r.licenseId(), r.customerId(), r.credential().wireName(), r.application(),
        r.repository(), r.tag(), r.version(), r.digest(), r.clientAddress(), r.userAgent(), r.blobBytes(),
        (long) r.count()};
  }

  private StreamedBody csv(PullQuery query, PullPage first, int cap) {
    return new StreamedBody() {
      @Override
      public String contentType() {
        return "text/csv; charset=utf-8";
      }

      @Override
      public void writeTo(Sink out) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        Csv.row(sb, (Object[]) COLUMNS);
        PullQuery q = query;
        PullPage page = first;
        int left = cap;
        while (true) {
          for (PullRecord r : page.pulls()) {
            if (left-- <= 0) {
              break;
            }
            Csv.row(sb, values(r));
          }
          out.write(sb.toString().getBytes(StandardCharsets.UTF_8));
          sb.setLength(0);
          if (page.next() == null || left <= 0) {
            return;
          }
          q = q.after(page.next());
          page = log.find(q);
        }
      }
    };
  }

  private static Instant time(Map<String, List<String>> query, String name) {
    String v = one(query, name);
    return v == null ? null : Expiry.parse(name, v);
  }
}
