package io.turnstile.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.turnstile.config.ApplicationConfig;
import io.turnstile.config.RepositoryConfig;
import io.turnstile.config.Versions;
import java.time.Instant;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.semver4j.Semver;

/** Range grants decide exactly as semver4j's own {@code satisfies}, through every tag template. */
class VersionRangeProperties {
  private static final List<String> TEMPLATES = List.of("{version}", "v{version}", "{version}-debug", "release-{version}");
  private static final Catalog CATALOG = new Catalog(List.of(new ApplicationConfig("app",
      List.of(new RepositoryConfig("vendor/app", "up", null, TEMPLATES)))));
  private static final Instant T = Instant.parse("2026-01-01T00:00:00Z");

  @Property(tries = 2000)
  void rangeGrant_equalsTheLibrarysSatisfies(@ForAll("versions") String version, @ForAll("ranges") String range,
      @ForAll boolean includePrerelease) {
    VersionRange parsed = readable(range, includePrerelease);
    License license = license(new VersionRange[] {parsed});
    boolean expected = Semver.parse(version).satisfies(range, includePrerelease);
    Catalog.Entry entry = CATALOG.repository("vendor/app");
    for (String template : TEMPLATES) {
      String tag = template.replace(RepositoryConfig.PLACEHOLDER, Versions.tagForm(version));
      assertThat(Grant.licenseForTag(entry, List.of(license), java.util.Set.of(), new TagsSeen(), tag) != null)
          .as("%s through %s in %s (pre-releases %s)", version, template, range, includePrerelease)
          .isEqualTo(expected);
    }
  }

  @Property(tries = 500)
  void everyTemplate_readsBackTheVersionItWasGiven(@ForAll("versions") String version) {
    RepositoryConfig repo = CATALOG.repository("vendor/app").repository();
    TagVersions tags = CATALOG.repository("vendor/app").tagVersions();
    for (String tag : repo.tagsFor(version)) {
      TagVersions.Parsed parsed = tags.parse(tag);
      int i = parsed.candidates().indexOf(Versions.tagForm(version));
      assertThat(i).as(tag).isNotNegative();
      assertThat(parsed.semvers()[i]).isEqualTo(Semver.parse(version));
      assertThat(tags.parse(tag)).as("remembered").isSameAs(parsed);
    }
  }

  @Property(tries = 500)
  void storedExpression_parsesToTheSameRange(@ForAll("ranges") String range, @ForAll boolean includePrerelease) {
    VersionRange once = readable(range, includePrerelease);
    assertThat(VersionRange.parse("range", once.expression(), includePrerelease)).isEqualTo(once);
  }

  @Example
  void invalidRanges_areRefusedWithTheProblem() {
    for (String bad : List.of("~0 >=0", "^1 ~1", "blah", "2.x.foo", ">=2.0.0 blah", "[1.0,2.0)", "x", "latest", ">=", "2.0.0 ||", "~>2.4")) {
      assertThatThrownBy(() -> VersionRange.parse("ranges[0]", bad, false)).as(bad)
          .isInstanceOf(InvalidInputException.class)
          .hasMessageStartingWith("ranges[0]: ");
    }
    assertThatThrownBy(() -> VersionRange.parse("ranges[0]", " ", false)).hasMessageContaining("write * for every version");
  }

  @Example
  void numbersAboveTheLargestARangeCanMatch_areRefusedWithTheProblem() {
    for (String big : List.of("2147483648.0.0", ">=9223372036854775807.0.0", "~99999999999999999999", "1.2147483648.x")) {
      assertThatThrownBy(() -> VersionRange.parse("ranges[0]", big, false)).as(big)
          .isInstanceOf(InvalidInputException.class)
          .hasMessage("ranges[0]: '" + big + "' has a version number above 2147483647, the largest a range can match");
    }
    assertThat(VersionRange.parse("r", ">=2147483647.0.0", false).kind()).isEqualTo(GrantKind.RANGE);
  }

  @Example
  void theIssuesExamples_areRanges() {
    for (String ok : List.of(">=2.0.0 <3.0.0", "2.x", "~2.4.0", "^2.4.1", "1.2.3 - 2.0.0", "1.x || >=3.0.0", ">= 2.0.0")) {
      assertThat(VersionRange.parse("r", ok, false).kind()).as(ok).isEqualTo(GrantKind.RANGE);
    }
    assertThat(VersionRange.parse("r", " * ", true).kind()).isEqualTo(GrantKind.ALL);
    assertThat(VersionRange.parse("r", ">=  2.0.0   <3.0.0", false).expression()).isEqualTo(">=2.0.0 <3.0.0");
  }

  /** The range parsed; a range the store refuses (the library cannot read it reliably) is skipped. */
  private static VersionRange readable(String range, boolean includePrerelease) {
    try {
      return VersionRange.parse("range", range, includePrerelease);
    } catch (InvalidInputException refused) {
      Assume.that(false);
      throw refused;
    }
  }

  private static License license(VersionRange[] ranges) {
    return new License(new LicenseId("lic_1"), new CustomerId("cus_1"), "l", "app", null, null, List.of(),
        List.of(ranges), false, "lk_1", null, T, T);
  }

  @Provide
  Arbitrary<String> versions() {
    Arbitrary<Integer> n = Arbitraries.integers().between(0, 4);
    Arbitrary<String> pre = Arbitraries.of("", "-rc.1", "-rc.2", "-alpha", "-beta.3", "-0");
    Arbitrary<String> build = Arbitraries.of("", "", "+build.5", "+sha.abc");
    return Combinators.combine(n, n, n, pre, build).as((a, b, c, p, m) -> a + "." + b + "." + c + p + m);
  }

  @Provide
  Arbitrary<String> ranges() {
    Arbitrary<Integer> n = Arbitraries.integers().between(0, 4);
    Arbitrary<String> part = Arbitraries.of("", "x", "*", "N").flatMap(w -> n.map(i -> w.equals("N") ? "" + i : w));
    Arbitrary<String> partial = Combinators.combine(n, part, part, Arbitraries.of("", "", "-rc.1")).as((a, b, c, p) -> {
      if (b.isEmpty()) {
        return "" + a;
      }
      if (c.isEmpty() || b.equals("x") || b.equals("*")) {
        return a + "." + b;
      }
      return a + "." + b + "." + c + (c.equals("x") || c.equals("*") ? "" : p);
    });
    Arbitrary<String> op = Arbitraries.of("", "=", ">", ">=", "<", "<=", "~", "^");
    Arbitrary<String> simple = Combinators.combine(op, partial).as((o, p) -> o + p);
    Arbitrary<String> conjunction = simple.list().ofMinSize(1).ofMaxSize(2).map(l -> String.join(" ", l));
    Arbitrary<String> hyphen = Combinators.combine(partial, partial).as((a, b) -> a + " - " + b);
    Arbitrary<String> alternative = Arbitraries.oneOf(conjunction, conjunction, hyphen);
    return alternative.list().ofMinSize(1).ofMaxSize(2).map(l -> String.join(" || ", l));
  }
}
