package io.turnstile.proxy.console;

import io.turnstile.proxy.web.WebRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * "Create a License" as it was filled in: what a refused form shows back. The upstream password is
 * kept for the one call and never shown again; typed text is cut to {@link #MAX_TEXT} characters.
 *
 * @param versions the versions ticked for {@code application}
 * @param moreVersions the "Other versions" text, as typed
 * @param ranges the "Ranges" text, as typed
 * @param grantNothing the choice to create a license that grants nothing for now
 * @param confirmExpiry the choice to keep an expiry that cuts the customer off at once
 * @param confirmUnknown the choice to grant versions not found at the upstream
 * @param entitlements the entitlement values as typed, by form field name without its {@code
 *     ent.} prefix ({@code <application>.<field>}): every application's, as the form offers them all
 */
public record LicenseDraft(String name, String expiresAt, String application, Set<String> versions, String moreVersions,
    String ranges, boolean includePrerelease, boolean keepReleased, String customerId, String upstreamUsername,
    String upstreamPassword, boolean grantNothing, boolean confirmExpiry, boolean confirmUnknown,
    Map<String, String> entitlements) {
  public LicenseDraft {
    entitlements = Map.copyOf(entitlements);
  }

  /** Longest text a field keeps. */
  static final int MAX_TEXT = 1_000;
  /** The prefix of the entitlement fields' names. */
  private static final String ENTITLEMENT = "ent.";

  static final LicenseDraft EMPTY = new LicenseDraft("", "", "", Set.of(), "", "", false, false, "", "", null,
      false, false, false, Map.of());

  /** The form as posted. */
  static LicenseDraft of(WebRequest r) {
    String application = text(r.field("application"));
    return new LicenseDraft(text(r.field("name")), text(r.field("expiresAt")), application,
        new LinkedHashSet<>(r.fields("version." + application)), text(r.field("moreVersions")), text(r.field("ranges")),
        checked(r, "includePrerelease"), checked(r, "keepReleasedBeforeExpiry"), text(r.field("customerId")),
        text(r.field("upstreamUsername")), r.field("upstreamPassword"), checked(r, "grantNothing"),
        checked(r, "confirmExpiry"), checked(r, "confirmUnknown"), entitlements(r));
  }

  private static Map<String, String> entitlements(WebRequest r) {
    Map<String, String> out = new HashMap<>();
    r.form().forEach((field, values) -> {
      if (field.startsWith(ENTITLEMENT) && !values.isEmpty()) {
        out.put(text(field.substring(ENTITLEMENT.length())), text(values.get(0)));
      }
    });
    return out;
  }

  /** The empty form with {@code customer} chosen. */
  LicenseDraft forCustomer(String customer) {
    return new LicenseDraft(name, expiresAt, application, versions, moreVersions, ranges, includePrerelease,
        keepReleased, customer, upstreamUsername, null, grantNothing, confirmExpiry, confirmUnknown, entitlements);
  }

  /** The value typed for entitlement {@code field} of {@code app}; empty for none (its default). */
  public String entitlement(String app, String field) {
    return entitlements.getOrDefault(app + "." + field, "");
  }

  /** Whether {@code version} of {@code app} is ticked. */
  public boolean ticked(String app, String version) {
    return app.equals(application) && versions.contains(version);
  }

  List<String> moreVersionList() {
    return words(moreVersions);
  }

  List<String> rangeList() {
    return ranges(ranges);
  }

  @Override
  public String toString() {
    return "LicenseDraft[" + name + ", " + application + ", upstreamPassword=***]";
  }

  private static boolean checked(WebRequest r, String field) {
    return "true".equals(r.field(field));
  }

  private static String text(String s) {
    if (s == null) {
      return "";
    }
    return s.length() <= MAX_TEXT ? s : s.substring(0, MAX_TEXT);
  }

  /** Ranges typed one per line or separated by commas (a range itself may hold spaces). */
  static List<String> ranges(String s) {
    if (s == null || s.isBlank()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String part : s.split("[,\\r\\n]+")) {
      if (!part.isBlank()) {
        out.add(part.strip());
      }
    }
    return out;
  }

  /** Versions typed separated by spaces or commas. */
  static List<String> words(String s) {
    if (s == null || s.isBlank()) {
      return List.of();
    }
    return List.of(s.strip().split("[\\s,]+"));
  }
}
