package io.turnstile.proxy.console;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/** The license page's fair-use form as the admin API's {@code PUT .../limits/{limit}} body. */
final class LimitForm {
  private LimitForm() {}

  /**
   * @param amount a whole number, or a size such as {@code 50GiB}; the admin API judges it
   * @param mode {@code enforce} or {@code watch}; blank for the default
   */
  static ObjectNode body(String amount, String mode) {
    ObjectNode body = JsonNodeFactory.instance.objectNode();
    String a = amount == null ? "" : amount.strip();
    if (!a.isEmpty() && a.length() <= 18 && a.chars().allMatch(Character::isDigit)) {
      body.put("limit", Long.parseLong(a));
    } else {
      body.put("limit", a);
    }
    if (mode != null && !mode.isBlank()) {
      body.put("mode", mode.strip());
    }
    return body;
  }
}
