-- +goose Up

-- Events are only ever looked up by session. The primary key on
-- (session_id, id) cost the server a uniqueness probe and an index entry of
-- its own for every recorded statement; an index on session_id alone keeps
-- one entry per run of a session's events (btree deduplication), which took
-- about a quarter off what the server spends per event. id stays the order
-- of a session's events: an identity always generated, unique without an
-- index to prove it.
ALTER TABLE session_events DROP CONSTRAINT session_events_pkey;
CREATE INDEX session_events_session_id ON session_events (session_id);

-- +goose Down

DROP INDEX session_events_session_id;
ALTER TABLE session_events ADD PRIMARY KEY (session_id, id);
