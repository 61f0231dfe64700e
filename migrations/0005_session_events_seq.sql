-- +goose Up

-- A session's events are numbered by the gateway that runs the session, in
-- the order their statements arrived, instead of by an identity. The
-- identity cost the server a sequence step for every recorded statement,
-- about a tenth of what it spends per event, and numbered events in the
-- order batches reached it: a refusal recorded at once came before a
-- statement pipelined ahead of it that was still running.
--
-- Existing rows keep their identity values as seq: they still rise through
-- each session. Both steps change only the catalog. A gateway older than
-- this migration sends no seq; its inserts fail with a not-null violation,
-- which its recorder takes for one bad event and sets aside, so its
-- statements would run unrecorded: stop every older gateway before running
-- this migration (the new one will not start before it).
ALTER TABLE session_events ALTER COLUMN id DROP IDENTITY;
ALTER TABLE session_events RENAME COLUMN id TO seq;

-- +goose Down

ALTER TABLE session_events RENAME COLUMN seq TO id;
ALTER TABLE session_events ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;
SELECT setval(pg_get_serial_sequence('session_events', 'id'), max(id)) FROM session_events HAVING max(id) IS NOT NULL;
