package io.turnstile.proxy.console.oidc;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jwt.JWT;
import com.nimbusds.oauth2.sdk.AuthorizationCode;
import com.nimbusds.oauth2.sdk.AuthorizationCodeGrant;
import com.nimbusds.oauth2.sdk.ErrorObject;
import com.nimbusds.oauth2.sdk.GeneralException;
import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.ResponseType;
import com.nimbusds.oauth2.sdk.Scope;
import com.nimbusds.oauth2.sdk.TokenRequest;
import com.nimbusds.oauth2.sdk.TokenResponse;
import com.nimbusds.oauth2.sdk.auth.ClientAuthentication;
import com.nimbusds.oauth2.sdk.auth.ClientAuthenticationMethod;
import com.nimbusds.oauth2.sdk.auth.ClientSecretBasic;
import com.nimbusds.oauth2.sdk.auth.ClientSecretPost;
import com.nimbusds.oauth2.sdk.auth.Secret;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.id.ClientID;
import com.nimbusds.oauth2.sdk.id.Issuer;
import com.nimbusds.oauth2.sdk.id.State;
import com.nimbusds.oauth2.sdk.pkce.CodeChallengeMethod;
import com.nimbusds.oauth2.sdk.pkce.CodeVerifier;
import com.nimbusds.openid.connect.sdk.AuthenticationRequest;
import com.nimbusds.openid.connect.sdk.AuthenticationResponse;
import com.nimbusds.openid.connect.sdk.AuthenticationResponseParser;
import com.nimbusds.openid.connect.sdk.LogoutRequest;
import com.nimbusds.openid.connect.sdk.Nonce;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponseParser;
import com.nimbusds.openid.connect.sdk.claims.IDTokenClaimsSet;
import io.turnstile.config.OidcConfig;
import io.turnstile.proxy.admin.Actor;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Sign-in to the console through the configured OpenID Connect provider, with Nimbus's OAuth 2.0
 * SDK: {@link #start} sends the browser to the provider with a fresh {@code state}, {@code nonce}
 * and PKCE challenge, sealed into a cookie ({@link PendingSignIn}); {@link #finish} takes the
 * provider's answer, checks {@code state}, trades the code (with the verifier and the client
 * secret) for tokens, verifies the ID token (signature by the provider's published keys, issuer,
 * audience, expiry, nonce), and maps its role claim to a console role. Blocking: it calls the
 * provider. Tokens and the client secret are never logged or shown.
 */
public final class OidcSignIn {
  /** The callback's path; the redirect URI is {@code admin.publicUrl} followed by it. */
  public static final String CALLBACK = "/console/oidc/callback";
  /** How long a browser has at the provider before the attempt lapses. */
  public static final Duration PENDING = Duration.ofMinutes(10);
  /** ID tokens kept for sign-out: one per console session, and the console keeps at most 1,000. */
  private static final int MAX_REMEMBERED = 2000;

  /** Where to send the browser, and the sealed attempt for its cookie. */
  public record Start(URI authorize, String pending) {}

  /** What came of the provider's answer. */
  public sealed interface Outcome permits SignedIn, Refused {}

  /** A verified person with a role; {@code returnTo} is a console path. */
  public record SignedIn(Actor actor, String returnTo, JWT idToken) implements Outcome {
    @Override
    public String toString() {
      return "SignedIn[" + actor + ", " + returnTo + "]";
    }
  }

  /**
   * A refusal: {@code status} and {@code message} for the page, {@code why} for the record of failed
   * sign-ins, {@code who} the verified name when the provider vouched for one (else null), and
   * {@code claimValues} what the role claim held, for a person with no role.
   */
  public record Refused(int status, String who, String why, String message, List<String> claimValues)
      implements Outcome {}

  /** The provider could not be reached, or described itself wrongly. */
  public static final class Unavailable extends Exception {
    Unavailable(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final OidcConfig config;
  private final ClientID clientId;
  private final URI redirectUri;
  private final URI afterSignOut;
  private final Provider provider;
  private final PendingSignIn.Sealer sealer;
  private final Claims claims;
  private final Clock clock;
  /** The ID token of each console session signed in here, for the provider's sign-out (its hint). */
  private final Cache<String, JWT> idTokens;

  /** @param publicUrl the admin listener's public URL ({@code admin.publicUrl}) */
  public OidcSignIn(OidcConfig config, URI publicUrl, Clock clock) {
    this.config = Objects.requireNonNull(config, "config");
    this.clientId = new ClientID(config.clientId());
    String base = publicUrl.toString().replaceAll("/+$", "");
    this.redirectUri = URI.create(base + CALLBACK);
    this.afterSignOut = URI.create(base + "/console/sign-in");
    this.provider = new Provider(new Issuer(config.issuer().toString()), clientId);
    this.sealer = new PendingSignIn.Sealer(config.clientSecret());
    this.claims = new Claims(new RoleClaim(config.roleClaim(), config.roles()));
    this.clock = clock;
    // No expiry by time: a session in use lives on past any idle period, and its sign-out still
    // needs the hint. One that ended idle leaves its token until the size bound pushes it out.
    this.idTokens = Caffeine.newBuilder().maximumSize(MAX_REMEMBERED).build();
  }

  /** The redirect URI to register at the provider. */
  public URI redirectUri() {
    return redirectUri;
  }

  /** Begins a sign-in that returns to {@code next} (a console path; anything else means the start page). */
  public Start start(String next) throws Unavailable {
    Provider.Discovered p = discovered();
    State state = new State();
    Nonce nonce = new Nonce();
    CodeVerifier verifier = new CodeVerifier();
    AuthenticationRequest request = new AuthenticationRequest.Builder(ResponseType.CODE,
        new Scope(config.scopes().toArray(String[]::new)), clientId, redirectUri)
        .endpointURI(p.metadata().getAuthorizationEndpointURI())
        .state(state)
        .nonce(nonce)
        .codeChallenge(verifier, CodeChallengeMethod.S256)
        .build();
    String sealed = sealer.seal(new PendingSignIn(state.getValue(), nonce.getValue(), verifier.getValue(),
        ReturnPath.of(next), clock.instant().plus(PENDING)));
    return new Start(request.toURI(), sealed);
  }

  /**
   * Finishes the sign-in the browser's {@code pendingCookie} began, from the provider's answer
   * {@code query} (the callback's query parameters).
   */
  public Outcome finish(Map<String, List<String>> query, String pendingCookie) {
    PendingSignIn pending = sealer.open(pendingCookie, clock.instant());
    if (pending == null) {
      return refused(400, "no sign-in under way in this browser",
          "This browser has no sign-in under way here, or it took longer than 10 minutes. Start again.");
    }
    AuthenticationResponse answer;
    try {
      answer = AuthenticationResponseParser.parse(redirectUri, query);
    } catch (ParseException e) {
      return refused(400, "unreadable answer from the provider", "The identity provider's answer could not be read. Start again.");
    }
    if (answer.getState() == null || !same(answer.getState().getValue(), pending.state())) {
      return refused(400, "wrong state",
          "This answer from the identity provider does not belong to the sign-in this browser started. Start again.");
    }
    if (!answer.indicatesSuccess()) {
      ErrorObject error = answer.toErrorResponse().getErrorObject();
      String code = error == null || error.getCode() == null ? "unknown" : error.getCode();
      return refused(401, "provider answered " + code, "The identity provider did not sign you in (" + code + ").");
    }
    AuthorizationCode code = answer.toSuccessResponse().getAuthorizationCode();
    if (code == null) {
      return refused(400, "no authorization code", "The identity provider's answer carries no authorization code. Start again.");
    }
    Provider.Discovered p;
    OIDCTokenResponse tokens;
    try {
      p = discovered();
      tokens = redeem(p, code, new CodeVerifier(pending.verifier()));
    } catch (Unavailable e) {
      return refused(502, e.getMessage(), "The identity provider cannot be reached. Try again in a moment.");
    }
    if (tokens == null) {
      return refused(401, "the provider refused the authorization code",
          "The identity provider refused to complete the sign-in. Start again.");
    }
    JWT idToken = tokens.getOIDCTokens().getIDToken();
    IDTokenClaimsSet verified;
    try {
      verified = p.validator().validate(idToken, new Nonce(pending.nonce()));
    } catch (BadJOSEException | JOSEException e) {
      // Nimbus's message names the check that failed (expiry, issuer, nonce, signature), never the token.
      return refused(401, "ID token refused: " + e.getMessage(),
          "The identity provider's answer could not be verified. Start again.");
    }
    return claims.outcome(verified, tokens, p.metadata(), pending.returnTo());
  }

  /**
   * Where to send a browser whose session {@code sessionId} signs out: the provider's end-session
   * endpoint, which returns it to the console's sign-in page; null when the provider has none or the
   * session did not sign in through it.
   */
  public URI signOut(String sessionId) {
    JWT idToken = sessionId == null ? null : idTokens.getIfPresent(sessionId);
    if (sessionId != null) {
      idTokens.invalidate(sessionId);
    }
    Provider.Discovered p = provider.known();
    if (idToken == null || p == null || p.metadata().getEndSessionEndpointURI() == null) {
      return null;
    }
    return new LogoutRequest(p.metadata().getEndSessionEndpointURI(), idToken, null, clientId, afterSignOut,
        null, null).toURI();
  }

  /** Keeps the ID token of console session {@code sessionId}, for {@link #signOut}. */
  public void signedIn(String sessionId, JWT idToken) {
    idTokens.put(sessionId, idToken);
  }

  /** The origin of the provider's end-session endpoint, which the console's forms may lead to; null when none is known. */
  public String signOutOrigin() {
    Provider.Discovered p = provider.known();
    URI end = p == null ? null : p.metadata().getEndSessionEndpointURI();
    if (end == null || end.getHost() == null) {
      return null;
    }
    return end.getScheme() + "://" + end.getRawAuthority();
  }

  private Provider.Discovered discovered() throws Unavailable {
    try {
      return provider.get();
    } catch (IOException | GeneralException e) {
      throw new Unavailable("identity provider " + config.issuer() + " unavailable: " + e.getMessage(), e);
    }
  }

  /** The provider's tokens for {@code code}, or null when it refused; never logs them. */
  private OIDCTokenResponse redeem(Provider.Discovered p, AuthorizationCode code, CodeVerifier verifier)
      throws Unavailable {
    TokenRequest request = new TokenRequest(p.metadata().getTokenEndpointURI(), clientAuthentication(p),
        new AuthorizationCodeGrant(code, redirectUri, verifier));
    HTTPRequest http = request.toHTTPRequest();
    http.setConnectTimeout(Provider.TIMEOUT_MS);
    http.setReadTimeout(Provider.TIMEOUT_MS);
    TokenResponse response;
    try {
      response = OIDCTokenResponseParser.parse(http.send());
    } catch (IOException e) {
      throw new Unavailable("token endpoint unreachable: " + e.getMessage(), e);
    } catch (ParseException e) {
      // The parser's message may quote the answer, tokens and all: say only that it failed.
      throw new Unavailable("token endpoint answered something other than OpenID Connect tokens", null);
    }
    if (!response.indicatesSuccess() || !(response.toSuccessResponse() instanceof OIDCTokenResponse ok)) {
      return null;
    }
    return ok;
  }

  /** The secret in HTTP Basic, unless the provider takes it only in the form body. */
  private ClientAuthentication clientAuthentication(Provider.Discovered p) {
    Secret secret = new Secret(config.clientSecret());
    List<ClientAuthenticationMethod> methods = p.metadata().getTokenEndpointAuthMethods();
    if (methods != null && !methods.contains(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
        && methods.contains(ClientAuthenticationMethod.CLIENT_SECRET_POST)) {
      return new ClientSecretPost(clientId, secret);
    }
    return new ClientSecretBasic(clientId, secret);
  }

  private static Refused refused(int status, String why, String message) {
    return new Refused(status, null, why, message, List.of());
  }

  private static boolean same(String a, String b) {
    return MessageDigest.isEqual(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }
}
