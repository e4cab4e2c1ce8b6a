package io.turnstile.proxy.access;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The part of a file a {@code Range} header asks for. One range of bytes is served ({@code
 * bytes=a-b}, {@code bytes=a-}, {@code bytes=-n}); anything else (several ranges, other units,
 * malformed) is ignored and the whole file served, as RFC 9110 allows.
 *
 * @param start first byte
 * @param length bytes from {@code start}; 0 with {@code start == -1} for a range that cannot be served
 */
record ByteRange(long start, long length) {
  /** RFC 9110's {@code int-range} and {@code suffix-range}: digits only, no sign. */
  private static final Pattern SPEC = Pattern.compile("([0-9]*)-([0-9]*)");

  /** The range {@code header} asks of a file of {@code size} bytes; null for the whole file. */
  static ByteRange parse(String header, long size) {
    if (header == null || !header.startsWith("bytes=") || header.indexOf(',') >= 0) {
      return null;
    }
    Matcher spec = SPEC.matcher(header.substring(6).trim());
    if (!spec.matches()) {
      // bytes=--5, bytes=+5-10 and the like: invalid, so ignored, and the whole file served.
      return null;
    }
    try {
      String from = spec.group(1);
      String to = spec.group(2);
      if (from.isEmpty()) {
        if (to.isEmpty()) {
          return null;
        }
        long suffix = Long.parseLong(to);
        if (suffix <= 0) {
          return unsatisfiable();
        }
        long n = Math.min(suffix, size);
        return n == 0 ? unsatisfiable() : new ByteRange(size - n, n);
      }
      long first = Long.parseLong(from);
      long last = to.isEmpty() ? size - 1 : Math.min(Long.parseLong(to), size - 1);
      if (first < 0 || (!to.isEmpty() && Long.parseLong(to) < first)) {
        return null;
      }
      if (first >= size) {
        return unsatisfiable();
      }
      return new ByteRange(first, last - first + 1);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static ByteRange unsatisfiable() {
    return new ByteRange(-1, 0);
  }

  boolean satisfiable() {
    return start >= 0;
  }

  /** The {@code Content-Range} value for this range of a file of {@code size} bytes. */
  String contentRange(long size) {
    return satisfiable() ? "bytes " + start + "-" + (start + length - 1) + "/" + size : "bytes */" + size;
  }
}
