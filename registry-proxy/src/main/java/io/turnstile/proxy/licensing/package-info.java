/**
 * What a running application reads of its license: the license-signing keys, the signed license
 * files made from a license and its entitlements, and the online check's signed answers.
 */
package io.turnstile.proxy.licensing;
