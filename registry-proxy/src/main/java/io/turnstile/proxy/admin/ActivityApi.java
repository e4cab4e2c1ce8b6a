package io.turnstile.proxy.admin;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.turnstile.store.ActivityLog;
import io.turnstile.store.ActivityPage;
import io.turnstile.store.ActivityQuery;
import io.turnstile.store.ActivityRecord;
import io.turnstile.store.CustomerId;
import io.turnstile.store.LicenseId;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /admin/v1/activity}: every vendor action (changes of customers, licenses, keys,
 * signing keys and API tokens; console sign-ins), newest first, as JSON pages with an opaque cursor
 * or one streamed CSV export, as the pull log. Filters: {@code actor} (exactly as recorded), {@code
 * customerId}, {@code licenseId}, {@code since}, {@code until}.
 */
final class ActivityApi {
  /** Records per JSON page when no {@code limit} is given. */
  static final int DEFAULT_LIMIT = 100;
  private static final Set<String> PARAMETERS =
      Set.of("actor", "customerId", "licenseId", "since", "until", "limit", "cursor", "format");
  private static final String[] COLUMNS = {"at", "actor", "action", "customerId", "licenseId", "detail"};

  private final ActivityLog log;
  private final ObjectMapper json;

  ActivityApi(ActivityLog log, ObjectMapper json) {
    this.log = log;
    this.json = json;
  }

  AdminResponse list(Map<String, List<String>> query, String accept) {
    LogQuery q = new LogQuery(query, PARAMETERS, accept);
    String customer = q.text("customerId");
    String license = q.text("licenseId");
    int limit = q.pageLimit(ActivityQuery.MAX_LIMIT, DEFAULT_LIMIT);
    ActivityQuery first = new ActivityQuery(q.text("actor"), customer == null ? null : new CustomerId(customer),
        license == null ? null : new LicenseId(license), q.time("since"), q.time("until"), limit, q.text("cursor"));
    ActivityPage page = log.find(first);
    if (q.csv) {
      return AdminResponse.streamed(LogQuery.csv(COLUMNS, page, q.csvCap(), new LogQuery.Pages<>(
          ActivityPage::records, ActivityPage::next, next -> log.find(first.after(next)), ActivityApi::values)));
    }
    ObjectNode out = json.createObjectNode();
    LogQuery.json(out.putArray("activity"), COLUMNS, page.records(), ActivityApi::values);
    out.put("next", page.next());
    return AdminResponse.ok(out);
  }

  private static Object[] values(ActivityRecord r) {
    return new Object[] {r.at(), r.actor(), r.action(), r.customerId(), r.licenseId(), r.detail()};
  }
}
