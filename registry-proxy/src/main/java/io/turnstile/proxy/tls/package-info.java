/**
 * TLS for Turnstile's own listeners: certificates and keys read from PEM files, checked, and
 * reloaded when the files change. Imports nothing of Turnstile's proxy; the listeners add its
 * handlers to their pipelines.
 */
package io.turnstile.proxy.tls;
