package io.turnstile.proxy.console;

import io.turnstile.proxy.admin.Actor;
import io.turnstile.proxy.admin.AdminApi;
import java.net.InetAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the console reports every sign-in and every refused sign-in, by the admin token or through
 * the identity provider. The one place to record them: {@link #recorded} writes a log line and an
 * entry of the activity log. Never given a token or secret.
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

  /** Sign-ins as log lines and entries of the activity log, through {@code api}. */
  static SignIns recorded(AdminApi api) {
    SignIns logged = logged();
    return new SignIns() {
      @Override
      public void succeeded(Actor actor, InetAddress client) {
        logged.succeeded(actor, client);
        api.recordSignIn(actor, client, true, actor.kind() == Actor.Kind.ADMIN_TOKEN ? "with the admin token"
            : "through the identity provider, as " + actor.role().label());
      }

      @Override
      public void failed(String who, InetAddress client, String why) {
        logged.failed(who, client, why);
        api.recordSignIn(null, client, false, who == null ? why : why + " for " + who);
      }
    };
  }

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
