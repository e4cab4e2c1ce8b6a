-- The activity log reads the events table newest first by seq, optionally by actor: this index
-- serves "what did this person or token do", the filter a review starts with.
CREATE INDEX events_actor ON events (actor, seq);
