package io.turnstile.proxy.console.oidc;

import com.nimbusds.oauth2.sdk.ParseException;
import com.nimbusds.oauth2.sdk.http.HTTPRequest;
import com.nimbusds.oauth2.sdk.token.BearerAccessToken;
import com.nimbusds.openid.connect.sdk.OIDCTokenResponse;
import com.nimbusds.openid.connect.sdk.UserInfoRequest;
import com.nimbusds.openid.connect.sdk.UserInfoResponse;
import com.nimbusds.openid.connect.sdk.claims.IDTokenClaimsSet;
import com.nimbusds.openid.connect.sdk.claims.UserInfo;
import com.nimbusds.openid.connect.sdk.op.OIDCProviderMetadata;
import io.turnstile.proxy.admin.Actor;
import io.turnstile.proxy.admin.Role;
import java.io.IOException;
import java.util.List;

/**
 * Who a verified ID token names and what role it gives: the name is the e-mail address when the
 * provider says it verified it, else the subject; the role comes from the role claim of the ID
 * token, or of the provider's userinfo answer when the ID token lacks the claim (some providers put
 * groups there only). A claim the client could have chosen never names anyone.
 */
final class Claims {
  private static final int MAX_SHOWN_VALUES = 20;
  private final RoleClaim roleClaim;

  Claims(RoleClaim roleClaim) {
    this.roleClaim = roleClaim;
  }

  OidcSignIn.Outcome outcome(IDTokenClaimsSet id, OIDCTokenResponse tokens, OIDCProviderMetadata provider,
      String returnTo) {
    String who = name(id);
    Object claim = id.getClaim(roleClaim.name());
    if (claim == null && provider.getUserInfoEndpointURI() != null
        && tokens.getOIDCTokens().getAccessToken() instanceof BearerAccessToken bearer) {
      claim = fromUserInfo(provider, bearer, id);
    }
    List<String> values = RoleClaim.values(claim);
    Role role = roleClaim.roleOf(values);
    if (role == null) {
      List<String> shown = values.size() > MAX_SHOWN_VALUES ? values.subList(0, MAX_SHOWN_VALUES) : values;
      return new OidcSignIn.Refused(403, who, "no role", "Your identity provider signed you in as " + who
          + ", but its claim '" + roleClaim.name() + "' holds no value that gives a Turnstile console role."
          + " Ask a Turnstile admin to add you to a group that admin.oidc.roles maps.", List.copyOf(shown));
    }
    return new OidcSignIn.SignedIn(new Actor(Actor.Kind.PERSON, who, role), returnTo,
        tokens.getOIDCTokens().getIDToken());
  }

  private static String name(IDTokenClaimsSet id) {
    Object email = id.getClaim("email");
    Object verified = id.getClaim("email_verified");
    if (email instanceof String e && !e.isBlank() && Boolean.TRUE.equals(verified)) {
      return e;
    }
    return id.getSubject().getValue();
  }

  /** The role claim from userinfo, when the answer is about the ID token's subject; else null. */
  private Object fromUserInfo(OIDCProviderMetadata provider, BearerAccessToken bearer, IDTokenClaimsSet id) {
    HTTPRequest http = new UserInfoRequest(provider.getUserInfoEndpointURI(), bearer).toHTTPRequest();
    http.setConnectTimeout(Provider.TIMEOUT_MS);
    http.setReadTimeout(Provider.TIMEOUT_MS);
    try {
      UserInfoResponse answer = UserInfoResponse.parse(http.send());
      if (!answer.indicatesSuccess()) {
        return null;
      }
      UserInfo info = answer.toSuccessResponse().getUserInfo();
      // OpenID Connect Core 5.3.2: a userinfo answer for another subject must not be used.
      if (info == null || !id.getSubject().equals(info.getSubject())) {
        return null;
      }
      return info.getClaim(roleClaim.name());
    } catch (IOException | ParseException e) {
      return null;
    }
  }
}
