package io.turnstile.proxy.observe;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import io.turnstile.config.LoggingConfig;
import net.logstash.logback.encoder.LogstashEncoder;
import net.logstash.logback.fieldnames.LogstashFieldNames;
import org.slf4j.LoggerFactory;

/**
 * Switches the log to the configured format. Until then Logback runs from {@code logback.xml}: text
 * lines on standard error. Library log levels set there are kept.
 */
public final class Logging {
  /** The appender every line goes through, named in {@code logback.xml}. */
  static final String APPENDER = "console";

  private Logging() {}

  /** Applies {@code config}; with {@code text} the lines stay as {@code logback.xml} makes them. */
  public static void apply(LoggingConfig config) {
    if (!config.json() || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    ConsoleAppender<ILoggingEvent> json = new ConsoleAppender<>();
    json.setContext(context);
    json.setName(APPENDER);
    json.setTarget("System.err");
    json.setEncoder(jsonEncoder(context));
    json.start();
    var old = root.getAppender(APPENDER);
    root.addAppender(json);
    if (old != null) {
      root.detachAppender(old);
      old.stop();
    }
  }

  /**
   * One JSON object per line: {@code time} (ISO-8601, UTC), {@code level}, {@code logger},
   * {@code thread}, {@code message}, a stack trace when there is one, and each of the event's
   * key-value pairs as a field of its own (the access log's fields).
   */
  static Encoder<ILoggingEvent> jsonEncoder(LoggerContext context) {
    LogstashEncoder encoder = new LogstashEncoder();
    encoder.setContext(context);
    LogstashFieldNames names = encoder.getFieldNames();
    names.setTimestamp("time");
    names.setVersion("[ignore]");
    names.setLevelValue("[ignore]");
    names.setLogger("logger");
    names.setThread("thread");
    encoder.setTimeZone("UTC");
    encoder.setIncludeContext(false);
    encoder.start();
    return encoder;
  }
}
