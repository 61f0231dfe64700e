-- +goose Up

-- A gateway older than 0005 sends no seq. Without a default its insert
-- fails with a not-null violation, class 23, which that gateway's recorder
-- takes for one bad event and sets aside: its statements would run
-- unrecorded. A missing seq now raises an error outside classes 22 and 23,
-- which such a recorder takes for the database failing: it keeps the batch,
-- retries, and once its backlog is full refuses new statements. Fail
-- closed, with a message that says what to do. Gateways of this version
-- always send seq, so the default is never evaluated for them.
-- +goose StatementBegin
CREATE FUNCTION jitgate_event_seq_required() RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'session_events.seq was not given: this jitgate gateway is older than the database schema'
        USING ERRCODE = 'P0001', HINT = 'upgrade jitgate on every replica';
END
$$;
-- +goose StatementEnd
ALTER TABLE session_events ALTER COLUMN seq SET DEFAULT jitgate_event_seq_required();

-- +goose Down

ALTER TABLE session_events ALTER COLUMN seq DROP DEFAULT;
DROP FUNCTION jitgate_event_seq_required();
