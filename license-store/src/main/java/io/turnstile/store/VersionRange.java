package io.turnstile.store;

import static io.turnstile.store.InvalidInputException.quoted;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import org.semver4j.Semver;
import org.semver4j.range.Range;
import org.semver4j.range.RangeList;
import org.semver4j.range.RangeListFactory;

/**
 * A grant that follows a product line: a range in npm's syntax ({@code 2.x}, {@code ~2.4.0},
 * {@code ^2.4.1}, {@code >=2.0.0 <3.0.0}, alternatives joined by {@code ||}), or {@code *}, every
 * version. Parsed once, when stored or loaded; matching a version allocates nothing.
 *
 * <p>A range matches semantic versions only, with semver's rules for pre-releases: {@code 2.x} does
 * not match {@code 2.5.0-rc.1} unless {@link #includePrerelease()}. {@code *} is its own kind:
 * every version the repository's tag templates produce, pre-releases and versions that are not
 * semantic versions included.
 */
public final class VersionRange {
  /** The expression of the every-version grant. */
  public static final String ALL = "*";
  /** Longest expression stored. */
  public static final int MAX_LENGTH = 256;

  // node-semver's grammar (its README's BNF), with one restriction: a major version is a number.
  // semver4j reads "x", "*.*.*" or ">=x" as "<0.0.0" and drops what it cannot read ("blah",
  // "[1.0,2.0)"), so such input is refused here rather than stored as something else.
  private static final String NR = "(?:0|[1-9][0-9]*)";
  private static final String XR = "(?:x|X|\\*|" + NR + ")";
  private static final String IDENT = "[0-9A-Za-z-]+";
  private static final String QUALIFIER = "(?:-" + IDENT + "(?:\\." + IDENT + ")*)?(?:\\+" + IDENT + "(?:\\." + IDENT + ")*)?";
  private static final String PARTIAL = NR + "(?:\\." + XR + "(?:\\." + XR + QUALIFIER + ")?)?";
  private static final String SIMPLE = "(?:\\*|(?:<=|>=|<|>|=|~|\\^)?v?" + PARTIAL + ")";
  private static final Pattern ALTERNATIVE = Pattern.compile(
      "v?" + PARTIAL + " - v?" + PARTIAL + "|" + SIMPLE + "(?: " + SIMPLE + ")*");

  private final String expression;
  private final boolean includePrerelease;
  private final RangeList ranges;

  private VersionRange(String expression, boolean includePrerelease, RangeList ranges) {
    this.expression = expression;
    this.includePrerelease = includePrerelease;
    this.ranges = ranges;
  }

  /**
   * Reads {@code text}: surrounding spaces are dropped and inner runs of spaces become one; an
   * operator may be followed by spaces ({@code >= 2.0.0}).
   *
   * @param field names the input in the error, e.g. {@code ranges[0]}
   * @param includePrerelease whether pre-releases inside the range match (ignored for {@code *})
   * @throws InvalidInputException naming what is wrong
   */
  public static VersionRange parse(String field, String text, boolean includePrerelease) {
    if (text == null || text.isBlank()) {
      throw new InvalidInputException(field, "must not be empty (write * for every version)");
    }
    String normal = normalise(text);
    if (normal.length() > MAX_LENGTH) {
      throw new InvalidInputException(field, "must be at most " + MAX_LENGTH + " characters");
    }
    if (normal.equals(ALL)) {
      return new VersionRange(ALL, false, null);
    }
    for (String alternative : normal.split(" \\|\\| ", -1)) {
      if (!ALTERNATIVE.matcher(alternative).matches()) {
        throw new InvalidInputException(field, quoted(alternative) + " is not a version range"
            + " (npm syntax, e.g. 2.x, ~2.4.0, ^2.4.1, >=2.0.0 <3.0.0, or * for every version)");
      }
      List<List<Range>> read = read(field, alternative, includePrerelease).get();
      if (read.isEmpty()) {
        throw new InvalidInputException(field, quoted(alternative) + " matches no version");
      }
      if (!alternative.contains(" - ") && !read.get(0).equals(comparatorByComparator(alternative, includePrerelease))) {
        // semver4j drops or empties some conjunctions of ~ and ^ with other comparators ("~0 >=0"
        // reads as ">=0.0.0"); such a range would grant other than what it says.
        throw new InvalidInputException(field, quoted(alternative) + " cannot be read reliably: write it with"
            + " >=, <=, > and < only (e.g. >=2.4.0 <2.5.0 for ~2.4.0)");
      }
    }
    return new VersionRange(normal, includePrerelease, read(field, normal, includePrerelease));
  }

  /** The largest number a version's major, minor or patch may have for a range to match it. */
  public static final int MAX_NUMBER = Integer.MAX_VALUE;

  /** The library's reading of {@code text}, which has no room for numbers above {@link #MAX_NUMBER}. */
  private static RangeList read(String field, String text, boolean includePrerelease) {
    try {
      return RangeListFactory.create(text, includePrerelease);
    } catch (NumberFormatException e) {
      throw new InvalidInputException(field, quoted(text) + " has a version number above " + MAX_NUMBER
          + ", the largest a range can match");
    }
  }

  /** The comparators of {@code conjunction} read one at a time, as the library reads them alone. */
  private static List<Range> comparatorByComparator(String conjunction, boolean includePrerelease) {
    List<Range> all = new ArrayList<>();
    for (String comparator : conjunction.split(" ")) {
      List<List<Range>> one = RangeListFactory.create(comparator, includePrerelease).get();
      if (one.size() != 1) {
        return List.of();
      }
      all.addAll(one.get(0));
    }
    return all;
  }

  private static String normalise(String text) {
    String s = text.strip().replaceAll("\\s+", " ");
    // ">= 2.0.0" is ">=2.0.0"; "a || b" keeps its spaces.
    s = s.replaceAll("(<=|>=|<|>|=|~|\\^) (?=[0-9vxX*])", "$1");
    return s.replaceAll(" ?\\|\\| ?", " || ");
  }

  /** The expression as stored: {@code *} or the normalised range. */
  public String expression() {
    return expression;
  }

  public boolean includePrerelease() {
    return includePrerelease;
  }

  /** Whether this is {@code *}, every version. */
  public boolean isAll() {
    return ranges == null;
  }

  /** {@link GrantKind#ALL} for {@code *}, else {@link GrantKind#RANGE}. */
  public GrantKind kind() {
    return isAll() ? GrantKind.ALL : GrantKind.RANGE;
  }

  /**
   * Whether the version {@code semver} is inside the range; {@code semver} null (a version that is
   * not a semantic version) is inside {@code *} only.
   */
  public boolean matches(Semver semver) {
    if (ranges == null) {
      return true;
    }
    return semver != null && ranges.isSatisfiedBy(semver);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof VersionRange r && r.expression.equals(expression) && r.includePrerelease == includePrerelease;
  }

  @Override
  public int hashCode() {
    return Objects.hash(expression, includePrerelease);
  }

  @Override
  public String toString() {
    return includePrerelease ? expression + " (pre-releases included)" : expression;
  }
}
