package io.turnstile.proxy.token;

import com.amazon.corretto.crypto.provider.AmazonCorrettoCryptoProvider;
import java.security.Provider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The JCA provider that signs and verifies tokens: the Amazon Corretto Crypto Provider, which
 * computes P-256 and RSA signatures in native code, when its library loads and passes its self
 * tests on this machine (x86-64 Linux); otherwise the JDK's own providers. It is used only for
 * tokens, through Nimbus's JCA context, and never installed process-wide, so TLS and everything
 * else keep the JDK's providers.
 */
public final class SignatureProvider {
  private static final Logger log = LoggerFactory.getLogger(SignatureProvider.class);
  private static final Provider NATIVE = loadNative();

  private SignatureProvider() {}

  /** The native provider, or null when it cannot run here (the JDK's providers then sign). */
  public static Provider nativeOrNull() {
    return NATIVE;
  }

  /** What signs tokens in this process, for the start-up log line. */
  public static String describe(Provider p) {
    return p == null ? "the JDK's providers" : p.getName() + " " + p.getVersionStr() + " (native)";
  }

  private static Provider loadNative() {
    try {
      AmazonCorrettoCryptoProvider accp = AmazonCorrettoCryptoProvider.INSTANCE;
      Throwable error = accp.getLoadingError();
      if (error != null) {
        log.info("native signatures unavailable ({}); tokens are signed by the JDK's providers", error.toString());
        return null;
      }
      accp.assertHealthy();
      return accp;
    } catch (Throwable e) {
      // LinkageError on a platform without the library, or a failed self test: fall back.
      log.info("native signatures unavailable ({}); tokens are signed by the JDK's providers", e.toString());
      return null;
    }
  }
}
