package io.turnstile.proxy.admin;

/** RFC 4180 CSV fields, safe to open in a spreadsheet. */
final class Csv {
  private Csv() {}

  /** Appends one row of {@code fields} (null: empty) and its CRLF to {@code out}. */
  static void row(StringBuilder out, Object... fields) {
    for (int i = 0; i < fields.length; i++) {
      if (i > 0) {
        out.append(',');
      }
      field(out, fields[i] == null ? "" : fields[i].toString());
    }
    out.append("\r\n");
  }

  private static void field(StringBuilder out, String v) {
    // A value a spreadsheet would run as a formula (a client's User-Agent is the caller's to choose)
    // is kept as text with a leading apostrophe, as OWASP advises against CSV injection.
    if (!v.isEmpty() && "=+-@\t\r".indexOf(v.charAt(0)) >= 0) {
      v = "'" + v;
    }
    boolean quote = v.indexOf(',') >= 0 || v.indexOf('"') >= 0 || v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0
        || v.startsWith("'");
    if (!quote) {
      out.append(v);
      return;
    }
    out.append('"').append(v.replace("\"", "\"\"")).append('"');
  }
}
