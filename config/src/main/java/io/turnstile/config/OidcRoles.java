package io.turnstile.config;

import com.fasterxml.jackson.annotation.JsonFormat;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Which values of the identity provider's role claim (for example group names) give which console
 * role. A person whose claim holds values of several roles gets the highest of them; one whose claim
 * holds none of these values is refused.
 *
 * @param admin values that give the admin role; default none
 * @param editor values that give the editor role; default none
 * @param viewer values that give the viewer role; default none
 */
public record OidcRoles(
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> admin,
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> editor,
    @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> viewer) {
  public OidcRoles {
    admin = values("admin", admin);
    editor = values("editor", editor);
    viewer = values("viewer", viewer);
    if (admin.isEmpty() && editor.isEmpty() && viewer.isEmpty()) {
      throw new InvalidValueException("", "must map at least one claim value to admin, editor or viewer");
    }
    Map<String, String> seen = new HashMap<>();
    // In order from the highest role, so that the error names the lower mapping as the repeat.
    List<Map.Entry<String, List<String>>> ordered = List.of(Map.entry("admin", admin), Map.entry("editor", editor),
        Map.entry("viewer", viewer));
    for (Map.Entry<String, List<String>> role : ordered) {
      for (String value : role.getValue()) {
        String other = seen.putIfAbsent(value, role.getKey());
        if (other != null) {
          throw new InvalidValueException(role.getKey(), "'" + value + "' is already mapped to " + other);
        }
      }
    }
  }

  private static List<String> values(String field, List<String> values) {
    List<String> list = Check.list(values);
    for (int i = 0; i < list.size(); i++) {
      if (list.get(i) == null || list.get(i).isBlank()) {
        throw new InvalidValueException(field + "[" + i + "]", "must not be empty");
      }
    }
    return list;
  }
}
