-- +goose Up

-- session_events takes a row per statement of every session, on the same
-- server the statements often run on. Its foreign key cost a trigger and a
-- lookup of sessions per row, more than half of what the server spent on
-- each event. Only the gateway writes events, and only under the session
-- it opened first (StartSession commits before the session relays a byte);
-- nothing deletes sessions. Whatever comes to prune recordings deletes a
-- session's events before the session.
ALTER TABLE session_events DROP CONSTRAINT session_events_session_id_fkey;

-- +goose Down

ALTER TABLE session_events
    ADD CONSTRAINT session_events_session_id_fkey FOREIGN KEY (session_id) REFERENCES sessions (id);
