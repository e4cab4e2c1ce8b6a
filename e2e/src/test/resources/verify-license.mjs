// verify-license.mjs JOSE_INDEX_JS JWKS_FILE LICENSE_FILE [TYP]
// Verifies a Turnstile license file (or, with TYP turnstile-bundle+jwt, a bundle's signed manifest
// list) as a Node application would, with the jose package: ES256, a key of the published JWKS by
// kid, the typ (default turnstile-license+jwt) and issuer, and the expiry. Prints the claims as JSON
// and exits 0, or prints why not and exits 1.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [josePath, jwksFile, licenseFile, typ = 'turnstile-license+jwt'] = process.argv.slice(2);
const jose = await import(pathToFileURL(josePath).href);
const keys = jose.createLocalJWKSet(JSON.parse(readFileSync(jwksFile, 'utf8')));
try {
  const { payload, protectedHeader } = await jose.jwtVerify(readFileSync(licenseFile, 'utf8').trim(), keys, {
    algorithms: ['ES256'],
    typ,
    issuer: 'turnstile',
  });
  console.log(JSON.stringify({ kid: protectedHeader.kid, claims: payload }));
} catch (e) {
  console.error(`${e.code || e.name}: ${e.message}`);
  process.exit(1);
}
