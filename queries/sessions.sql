-- StartSession opens a session only under a grant that gives access at now,
-- so a grant that ended a moment ago cannot gain a session.
-- name: StartSession :one
INSERT INTO sessions (grant_id, identity, resource, protocol, client_addr, started_at)
SELECT g.id, g.requester, g.resource, @protocol, @client_addr, @now
FROM grants g
WHERE g.id = @grant_id
  AND g.status = 'active'
  AND g.starts_at <= @now
  AND g.expires_at > @now
RETURNING *;

-- name: EndSession :one
UPDATE sessions
SET ended_at = @now::timestamptz,
    end_reason = @end_reason::text
WHERE id = @id
  AND ended_at IS NULL
RETURNING *;

-- name: GetSession :one
SELECT * FROM sessions WHERE id = @id;

-- name: ListSessionsByGrant :many
SELECT * FROM sessions WHERE grant_id = @grant_id ORDER BY started_at, id;

-- name: InsertSessionEventBlocks :copyfrom
INSERT INTO session_event_blocks (
    session_id, first_seq, last_seq, first_at, last_at, events
) VALUES (
    @session_id, @first_seq, @last_seq, @first_at, @last_at, @events
);

-- name: ListSessionEvents :many
SELECT * FROM session_events WHERE session_id = @session_id ORDER BY seq;
