package io.turnstile.store;

/** The outcome of an authorization: an {@link Access}, or a {@link Refusal} saying why not. */
public sealed interface AuthResult permits Access, Refusal {}
