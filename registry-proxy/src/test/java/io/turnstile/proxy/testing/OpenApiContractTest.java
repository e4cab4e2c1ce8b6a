package io.turnstile.proxy.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The contract checker that every admin IT goes through finds each kind of drift between an
 * exchange and the document, and accepts an exchange that matches; and the document keeps the
 * rules that make it useful to a client: unique operation ids, a role and the auth failures on
 * every operation, an Idempotency-Key on every write.
 */
class OpenApiContractTest {
  private static final String JSON = "application/json";
  private static final String CUSTOMER = "{\"id\":\"cus_1\",\"name\":\"Acme\",\"createdAt\":\"2026-01-01T00:00:00Z\"}";
  private final OpenApiContract contract = OpenApiContract.admin();

  @Test
  void matchingExchange_hasNoViolation() {
    assertThat(contract.violations("POST", "/admin/v1/customers", "{\"name\":\"Acme\"}", 201, JSON, CUSTOMER))
        .isEmpty();
    assertThat(contract.violations("GET", "/admin/v1/pulls?limit=5&format=csv", null, 200,
        "text/csv; charset=utf-8", "at,licenseId\n")).isEmpty();
  }

  @Test
  void answerWithAFieldTheDocumentDoesNotName_isAViolation() {
    String extra = CUSTOMER.replace("}", ",\"password\":\"x\"}");
    assertThat(contract.violations("GET", "/admin/v1/customers/cus_1", null, 200, JSON, extra))
        .singleElement().asString().contains("password");
  }

  @Test
  void answerMissingARequiredField_orOfTheWrongType_isAViolation() {
    assertThat(contract.violations("GET", "/admin/v1/customers/cus_1", null, 200, JSON, "{\"id\":\"cus_1\"}"))
        .isNotEmpty();
    assertThat(contract.violations("GET", "/admin/v1/customers/cus_1", null, 200, JSON,
        CUSTOMER.replace("\"Acme\"", "7"))).isNotEmpty();
  }

  @Test
  void undocumentedStatus_orContentType_isAViolation() {
    assertThat(contract.violations("GET", "/admin/v1/customers", null, 418, JSON, "{\"error\":\"x\"}"))
        .singleElement().asString().contains("418");
    assertThat(contract.violations("GET", "/admin/v1/customers", null, 200, "text/csv", "a,b\n"))
        .singleElement().asString().contains("text/csv");
  }

  @Test
  void acceptedRequestTheDocumentDoesNotAllow_isAViolation_refusedOneIsNot() {
    String unknownField = "{\"name\":\"Acme\",\"tier\":\"gold\"}";
    assertThat(contract.violations("POST", "/admin/v1/customers", unknownField, 201, JSON, CUSTOMER))
        .singleElement().asString().contains("tier");
    assertThat(contract.violations("POST", "/admin/v1/customers", unknownField, 400, JSON,
        "{\"error\":\"tier: unknown field\",\"field\":\"tier\"}")).isEmpty();
    assertThat(contract.violations("GET", "/admin/v1/customers?sort=name", null, 200, JSON, "{\"customers\":[]}"))
        .singleElement().asString().contains("sort");
  }

  @Test
  void undocumentedRoute_isAViolation_unlessTheServerRefusedIt() {
    assertThat(contract.violations("GET", "/admin/v1/invoices", null, 200, JSON, "{}"))
        .singleElement().asString().contains("not in the document");
    assertThat(contract.violations("GET", "/admin/v1/invoices", null, 404, JSON,
        "{\"error\":\"no such admin resource\"}")).isEmpty();
    assertThat(contract.violations("PUT", "/admin/v1/customers", null, 405, JSON,
        "{\"error\":\"method not allowed; use GET, POST\"}")).isEmpty();
  }

  @Test
  void everyOperation_hasAUniqueId_aRole_theAuthFailures_andWritesTakeAnIdempotencyKey() {
    Set<String> ids = new HashSet<>();
    List<String> problems = new ArrayList<>();
    for (OpenApiContract.Operation op : contract.operations()) {
      String name = op.method() + " " + op.path();
      JsonNode node = op.node();
      if (!ids.add(node.path("operationId").asText())) {
        problems.add(name + ": operationId missing or used twice");
      }
      if (!node.has("x-role")) {
        problems.add(name + ": no x-role");
      }
      boolean open = node.has("security") && node.get("security").isEmpty();
      if (!open && !(node.path("responses").has("401") && node.path("responses").has("403"))) {
        problems.add(name + ": no 401 or 403 answer");
      }
      boolean write = !op.method().equals("get") && !op.method().equals("head");
      boolean takesKey = node.path("parameters").toString().contains("#/components/parameters/IdempotencyKey");
      if (write != takesKey) {
        problems.add(name + (write ? ": a write without" : ": a read with") + " the Idempotency-Key parameter");
      }
    }
    assertThat(problems).isEmpty();
  }
}
