"""verify_license.py JWKS_FILE LICENSE_FILE [TYP]

Verifies a Turnstile license file (or, with TYP turnstile-bundle+jwt, a bundle's signed manifest
list) as a Python application would, with PyJWT: ES256, the key of the published JWKS its kid
names, the typ header (default turnstile-license+jwt), the issuer and the expiry. Prints the claims
as JSON and exits 0, or prints why not and exits 1.
"""
import json
import sys

import jwt

with open(sys.argv[1]) as f:
    jwks = jwt.PyJWKSet.from_dict(json.load(f))
with open(sys.argv[2]) as f:
    token = f.read().strip()
typ = sys.argv[3] if len(sys.argv) > 3 else "turnstile-license+jwt"
try:
    header = jwt.get_unverified_header(token)
    if header.get("typ") != typ:
        raise jwt.InvalidTokenError("typ is %r, not %r" % (header.get("typ"), typ))
    kid = header.get("kid")
    key = next((k for k in jwks.keys if k.key_id == kid), None)
    if key is None:
        raise jwt.InvalidKeyError("no published key has kid %r" % kid)
    claims = jwt.decode(token, key.key, algorithms=["ES256"], issuer="turnstile")
except jwt.PyJWTError as e:
    print("%s: %s" % (type(e).__name__, e), file=sys.stderr)
    sys.exit(1)
print(json.dumps({"kid": kid, "claims": claims}))
