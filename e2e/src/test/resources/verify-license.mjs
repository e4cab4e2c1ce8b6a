// verify-license.mjs JOSE_INDEX_JS JWKS_FILE LICENSE_FILE
// Verifies a Turnstile license file as a Node application would, with the jose package: ES256, a
// key of the published JWKS by kid, the file's typ and issuer, and its expiry. Prints the claims as
// JSON and exits 0, or prints why not and exits 1.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const [josePath, jwksFile, licenseFile] = process.argv.slice(2);
const jose = await import(pathToFileURL(josePath).href);
const keys = jose.createLocalJWKSet(JSON.parse(readFileSync(jwksFile, 'utf8')));
try {
  const { payload, protectedHeader } = await jose.jwtVerify(readFileSync(licenseFile, 'utf8').trim(), keys, {
    algorithms: ['ES256'],
    typ: 'turnstile-license+jwt',
    issuer: 'turnstile',
  });
  console.log(JSON.stringify({ kid: protectedHeader.kid, claims: payload }));
} catch (e) {
  console.error(`${e.code || e.name}: ${e.message}`);
  process.exit(1);
}
