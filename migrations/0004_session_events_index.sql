-- +goose NO TRANSACTION
-- +goose Up

-- Events are only ever looked up by session. The primary key on
-- (session_id, id) cost the server a uniqueness probe and an index entry of
-- its own for every recorded statement; an index on session_id alone keeps
-- one entry per run of a session's events (btree deduplication), which took
-- about a quarter off what the server spends per event. id stays the order
-- of a session's events: an identity always generated, unique without an
-- index to prove it.
--
-- The index is built CONCURRENTLY, outside a transaction: a plain build
-- would lock the table, the gateways' recording would stop for as long as
-- it takes, and their sessions would refuse statements meanwhile. An
-- earlier build that failed half way left an invalid index: it goes first.
DROP INDEX CONCURRENTLY IF EXISTS session_events_session_id;
CREATE INDEX CONCURRENTLY session_events_session_id ON session_events (session_id);
ALTER TABLE session_events DROP CONSTRAINT session_events_pkey;

-- +goose Down

ALTER TABLE session_events ADD PRIMARY KEY (session_id, id);
DROP INDEX CONCURRENTLY IF EXISTS session_events_session_id;
