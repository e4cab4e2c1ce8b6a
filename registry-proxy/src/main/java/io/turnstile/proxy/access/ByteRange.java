package io.turnstile.proxy.access;

/**
 * The part of a file a {@code Range} header asks for. One range of bytes is served ({@code
 * bytes=a-b}, {@code bytes=a-}, {@code bytes=-n}); anything else (several ranges, other units,
 * malformed) is ignored and the whole file served, as RFC 9110 allows.
 *
 * @param start first byte
 * @param length bytes from {@code start}; 0 with {@code start == -1} for a range that cannot be served
 */
record ByteRange(long start, long length) {
  /** The range {@code header} asks of a file of {@code size} bytes; null for the whole file. */
  static ByteRange parse(String header, long size) {
    if (header == null || !header.startsWith("bytes=") || header.indexOf(',') >= 0) {
      return null;
    }
    String spec = header.substring(6).trim();
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return null;
    }
    try {
      String from = spec.substring(0, dash).trim();
      String to = spec.substring(dash + 1).trim();
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
