package io.turnstile.store.internal;

import static io.turnstile.store.internal.db.Tables.ENTITLEMENT_FIELDS;
import static io.turnstile.store.internal.db.Tables.LICENSES;
import static io.turnstile.store.internal.db.Tables.LICENSE_ENTITLEMENTS;

import io.turnstile.config.EntitlementField;
import io.turnstile.config.EntitlementType;
import io.turnstile.store.Catalog;
import io.turnstile.store.ConflictException;
import io.turnstile.store.EntitlementDefinitions;
import io.turnstile.store.EntitlementFields;
import io.turnstile.store.NoSuchApplicationException;
import io.turnstile.store.NoSuchEntitlementFieldException;
import io.turnstile.store.internal.db.tables.records.EntitlementFieldsRecord;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.jooq.DSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code entitlement_fields} table: fields defined through the API. Each change is an event
 * naming no customer; every replica's writer follows those events ({@link StoreWriter#follow}) and
 * reads the table again into the loader, whose fields the next snapshot carries.
 */
final class EntitlementFieldTable implements EntitlementDefinitions {
  private static final Logger log = LoggerFactory.getLogger(EntitlementFieldTable.class);
  /** Licenses a refusal names by id; the rest are counted. */
  private static final int NAMED = 3;

  private final StoreWriter writer;
  private final Catalog catalog;
  private final Clock clock;

  EntitlementFieldTable(StoreWriter writer, SnapshotLoader loader, Catalog catalog, Clock clock) {
    this.writer = writer;
    this.catalog = catalog;
    this.clock = clock;
    writer.follow(EVENT_PREFIX, tx -> loader.fields(current(tx)));
  }

  /** Every application's fields as the database holds them now, read through {@code tx}. */
  EntitlementFields current(DSLContext tx) {
    List<EntitlementFields.Stored> stored = new ArrayList<>();
    for (EntitlementFieldsRecord r : tx.selectFrom(ENTITLEMENT_FIELDS)
        .orderBy(ENTITLEMENT_FIELDS.CREATED_AT, ENTITLEMENT_FIELDS.APPLICATION, ENTITLEMENT_FIELDS.NAME).fetch()) {
      try {
        stored.add(new EntitlementFields.Stored(r.getApplication(), field(r)));
      } catch (IllegalArgumentException e) {
        // Only a hand-edited row gets here: the API checks every definition it writes.
        log.warn("entitlement field {} of application {} is stored unreadable, left out: {}", r.getName(),
            r.getApplication(), e.getMessage());
      }
    }
    return EntitlementFields.of(catalog, stored);
  }

  @Override
  public Defined define(String application, EntitlementField field, String actor) {
    checkNotConfigured(application, field.name());
    return writer.write(tx -> {
      long now = clock.millis();
      EntitlementFieldsRecord row = row(tx, application, field.name());
      EntitlementField before = row == null ? null : field(row);
      if (field.equals(before)) {
        return new Defined(new EntitlementFields.Field(field, EntitlementFields.Source.API), false);
      }
      if (before == null || before.type() != field.type()) {
        refuseIfHeld(tx, application, field.name(), v -> !fits(field.type(), v), "cannot "
            + (before == null ? "define" : "change the type of") + " field '" + field.name() + "' of application '"
            + application + "' as " + field.type().wireName(), "that is not " + article(field.type()));
      }
      if (row == null) {
        int defined = tx.fetchCount(ENTITLEMENT_FIELDS, ENTITLEMENT_FIELDS.APPLICATION.eq(application));
        if (defined >= MAX_FIELDS) {
          throw new ConflictException("application '" + application + "' has " + defined
              + " entitlement fields defined through the API, the most allowed");
        }
        row = tx.newRecord(ENTITLEMENT_FIELDS);
        row.setApplication(application);
        row.setName(field.name());
        row.setCreatedAt(now);
      }
      row.setType(field.type().wireName());
      row.setDefaultValue(field.defaultValue());
      row.setVisible(field.visible());
      row.setUpdatedAt(now);
      row.store();
      String detail = application + "." + field.name() + ": " + describe(field)
          + (before == null ? "" : " (was " + describe(before) + ")");
      EventLog.record(tx, now, actor, EVENT_PREFIX + (before == null ? "defined" : "changed"), null, null, detail);
      return new Defined(new EntitlementFields.Field(field, EntitlementFields.Source.API), before == null);
    });
  }

  @Override
  public void delete(String application, String name, String actor) {
    checkNotConfigured(application, name);
    writer.write(tx -> {
      EntitlementFieldsRecord row = row(tx, application, name);
      if (row == null) {
        throw new NoSuchEntitlementFieldException(application, name);
      }
      refuseIfHeld(tx, application, name, v -> true, "cannot delete field '" + name + "' of application '"
          + application + "'", "for it; clear those values first (set them to null)");
      row.delete();
      EventLog.record(tx, clock.millis(), actor, EVENT_PREFIX + "deleted", null, null,
          application + "." + name + ": " + describe(field(row)));
      return null;
    });
  }

  /** Refuses a change to a field the configuration defines, and one of an unknown application. */
  private void checkNotConfigured(String application, String name) {
    var app = catalog.application(application).orElseThrow(() -> new NoSuchApplicationException(application));
    if (app.entitlements().stream().anyMatch(f -> f.name().equals(name))) {
      throw new ConflictException("field '" + name + "' of application '" + application + "' is defined in the"
          + " configuration (applications[].entitlements): change or remove it there, not through the API");
    }
  }

  /**
   * Throws a {@link ConflictException} when a license of {@code application} that is not revoked
   * holds a value of field {@code name} that {@code offending} picks: the message counts them and
   * names the first few.
   */
  private static void refuseIfHeld(DSLContext tx, String application, String name, Predicate<String> offending,
      String what, String why) {
    List<String> held = new ArrayList<>();
    tx.select(LICENSE_ENTITLEMENTS.LICENSE_ID, LICENSE_ENTITLEMENTS.VALUE).from(LICENSE_ENTITLEMENTS)
        .join(LICENSES).on(LICENSES.ID.eq(LICENSE_ENTITLEMENTS.LICENSE_ID))
        .where(LICENSES.APPLICATION.eq(application), LICENSES.REVOKED_AT.isNull(), LICENSE_ENTITLEMENTS.NAME.eq(name))
        .orderBy(LICENSE_ENTITLEMENTS.LICENSE_ID)
        .forEach(r -> {
          if (offending.test(r.value2())) {
            held.add(r.value1());
          }
        });
    if (!held.isEmpty()) {
      throw new ConflictException(what + ": " + held.size() + (held.size() == 1 ? " license holds" : " licenses hold")
          + " a value " + why + " (" + String.join(", ", held.subList(0, Math.min(NAMED, held.size())))
          + (held.size() > NAMED ? ", ..." : "") + ")");
    }
  }

  private static boolean fits(EntitlementType type, String value) {
    try {
      type.canonical(value);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static String article(EntitlementType type) {
    return (type == EntitlementType.INTEGER ? "an " : "a ") + type.wireName();
  }

  private static EntitlementFieldsRecord row(DSLContext tx, String application, String name) {
    return tx.selectFrom(ENTITLEMENT_FIELDS)
        .where(ENTITLEMENT_FIELDS.APPLICATION.eq(application), ENTITLEMENT_FIELDS.NAME.eq(name)).fetchOne();
  }

  private static EntitlementField field(EntitlementFieldsRecord r) {
    EntitlementType type = EntitlementType.of(r.getType());
    if (type == null) {
      throw new IllegalArgumentException("unknown type '" + r.getType() + "'");
    }
    return new EntitlementField(r.getName(), type, r.getDefaultValue(), Boolean.TRUE.equals(r.getVisible()));
  }

  private static String describe(EntitlementField f) {
    return "type=" + f.type().wireName() + " default=" + f.defaultValue() + " visible=" + f.visible();
  }
}
