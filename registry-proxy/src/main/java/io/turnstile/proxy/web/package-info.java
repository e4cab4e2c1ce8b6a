/**
 * What the vendor console and the customer portal share to serve pages: requests and answers with
 * the security headers every page carries, server-side sessions with their cookie and CSRF rules,
 * the compiled templates and the static files. Knows nothing of licenses.
 */
package io.turnstile.proxy.web;
