package io.turnstile.proxy.observe;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import io.turnstile.config.LoggingConfig;
import net.logstash.logback.encoder.LogstashEncoder;
import net.logstash.logback.fieldnames.LogstashFieldNames;
import org.slf4j.LoggerFactory;

/**
 * Switches the log to the configured format. Until then Logback runs from {@code logback.xml}: text
 * lines on standard error, written from a queue so that an event loop never waits on the stream.
 * Library log levels set there are kept.
 */
public final class Logging {
  /** The appender that writes every line, named in {@code logback.xml}. */
  static final String APPENDER = "console";
  /** The queue in front of it, so that no event loop waits on standard error. */
  static final String QUEUE = "async";

  private Logging() {}

  /** Applies {@code config}; with {@code text} the lines stay as {@code logback.xml} makes them. */
  public static void apply(LoggingConfig config) {
    if (!config.json() || !(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    Appender<ILoggingEvent> found = root.getAppender(APPENDER);
    if (found == null && root.getAppender(QUEUE) instanceof AsyncAppender queue) {
      found = queue.getAppender(APPENDER);
    }
    if (found instanceof ConsoleAppender<ILoggingEvent> console) {
      console.stop();
      console.setEncoder(jsonEncoder(context));
      console.start();
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
