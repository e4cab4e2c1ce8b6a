package io.turnstile.proxy.admin;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * How an Accept header chooses between a log's JSON pages and its CSV export: CSV only when the
 * client ranks it above JSON, so a client that takes both (as one generated from the OpenAPI
 * document, which lists both answers) gets JSON.
 */
class QueryTest {
  @Test
  void acceptOfCsvAlone_orRankedAboveJson_choosesCsv() {
    assertThat(Query.prefersCsv("text/csv")).isTrue();
    assertThat(Query.prefersCsv("text/csv; charset=utf-8")).isTrue();
    assertThat(Query.prefersCsv("application/json;q=0.5, text/csv")).isTrue();
    assertThat(Query.prefersCsv("TEXT/CSV, */*;q=0.1")).isTrue();
  }

  @Test
  void acceptOfJsonAndCsvAlike_orOfNeither_choosesJson() {
    assertThat(Query.prefersCsv("application/json, text/csv")).isFalse();
    assertThat(Query.prefersCsv("text/csv;q=0.9, application/json")).isFalse();
    assertThat(Query.prefersCsv("*/*")).isFalse();
    assertThat(Query.prefersCsv("text/csv;q=0")).isFalse();
    assertThat(Query.prefersCsv(null)).isFalse();
  }
}
