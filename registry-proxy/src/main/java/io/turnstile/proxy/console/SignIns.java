package io.turnstile.proxy.console;

import io.turnstile.proxy.admin.Actor;
import java.net.InetAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the console reports every sign-in and every refused sign-in, by the admin token or through
 * the identity provider. The one place to record them: {@link #logged()} writes a log line; the
 * activity log is meant to take its place (see the server's wiring). Never given a token or secret.
 */
public interface SignIns {
  /** {@code actor} signed in from {@code client} (null when unknown). */
  void succeeded(Actor actor, InetAddress client);

  /**
   * A sign-in from {@code client} was refused.
   *
   * @param who the verified name when the provider vouched for one (a person with no role), else null
   * @param why a short reason for the operator, e.g. {@code wrong admin token} or {@code no role}
   */
  void failed(String who, InetAddress client, String why);

  /** Sign-ins as log lines of the console's logger. */
  static SignIns logged() {
    Logger log = LoggerFactory.getLogger(Console.class);
    return new SignIns() {
      @Override
      public void succeeded(Actor actor, InetAddress client) {
        log.info("console sign-in: {} ({}) from {}", actor.recorded(), actor.role().label(), client);
      }

      @Override
      public void failed(String who, InetAddress client, String why) {
        log.warn("console sign-in refused: {}{} from {}", why, who == null ? "" : " for " + who, client);
      }
    };
  }
}
