/** The jOOQ implementation of the license store; not for use outside this module. */
package io.turnstile.store.internal;
