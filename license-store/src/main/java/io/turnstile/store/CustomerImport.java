package io.turnstile.store;

import java.util.List;

/**
 * A customer to bring into the store in bulk, e.g. from another licensing system, with its
 * licenses. Each license's {@code customerId} must be null: the license belongs to this customer,
 * whose id the store assigns.
 */
public record CustomerImport(String name, List<NewLicense> licenses) {}
