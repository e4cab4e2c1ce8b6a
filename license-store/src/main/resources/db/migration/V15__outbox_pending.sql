-- Webhook events written with the change that caused them, in its transaction, as the few facts
-- needed to send them: the payload is rendered, and one delivery per endpoint that wants the event
-- is added, after the commit by the delivery poller (which then moves the event to outbox_events
-- and deletes it here). A replica that died between the two leaves its rows to the next poller.
-- seq shares outbox_events' numbering, so deliveries keep the order their changes committed in.
-- details: what the event says besides its subject, as key=value,value&key=value (URL-encoded).
-- endpoint_id: the one endpoint a webhook.test goes to; NULL for every endpoint that wants it.
CREATE TABLE outbox_pending (
  seq          BIGINT         NOT NULL PRIMARY KEY,
  id           VARCHAR(64)    NOT NULL UNIQUE,
  type         VARCHAR(64)    NOT NULL,
  at           BIGINT         NOT NULL,
  customer_id  VARCHAR(64),
  license_id   VARCHAR(64),
  endpoint_id  VARCHAR(64),
  details      VARCHAR(4000)  NOT NULL
);
