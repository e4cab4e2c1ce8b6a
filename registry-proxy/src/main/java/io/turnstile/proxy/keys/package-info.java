/**
 * Signing keys kept in the license store, whatever they sign: the ring that every replica signs
 * with and rebuilds when a rotation reaches it. Token keys and license-signing keys both use it,
 * each with its own {@link io.turnstile.store.KeyPurpose}, so neither kind can stand in for the
 * other.
 */
package io.turnstile.proxy.keys;
