-- HoldStatement copies who and which resource from the grant, and holds a
-- statement only under a grant that still gives access.
-- name: HoldStatement :one
INSERT INTO statement_reviews (grant_id, session_id, request_id, requester, resource, statement, reasons, created_at, waits_until)
SELECT g.id, @session_id, g.request_id, g.requester, g.resource, @statement, @reasons::text[], @now, @waits_until
FROM grants g
WHERE g.id = @grant_id
  AND g.status = 'active'
  AND g.expires_at > @now
RETURNING *;

-- name: GetStatementReview :one
SELECT * FROM statement_reviews WHERE id = @id;

-- DecideStatement records a reviewer's answer while the session still
-- waits for it and its grant still gives access: a click after the wait ran
-- out, or after the grant ended, changes nothing.
-- name: DecideStatement :one
UPDATE statement_reviews s
SET status = @status,
    decided_at = @now::timestamptz,
    decided_by = @decided_by::text
FROM grants g
WHERE s.id = @id
  AND s.status = 'pending'
  AND s.waits_until > @now
  AND g.id = s.grant_id
  AND g.status = 'active'
  AND g.expires_at > @now
RETURNING s.*;

-- TimeOutStatement closes one review whose session stopped waiting.
-- name: TimeOutStatement :one
UPDATE statement_reviews
SET status = 'timed_out',
    decided_at = @now::timestamptz,
    decided_by = @decided_by::text
WHERE id = @id
  AND status = 'pending'
RETURNING *;

-- TimeOutStatements closes the reviews whose wait ran out without their
-- session saying so (the replica holding it went away).
-- name: TimeOutStatements :many
UPDATE statement_reviews
SET status = 'timed_out',
    decided_at = @now::timestamptz,
    decided_by = @decided_by::text
WHERE status = 'pending'
  AND waits_until <= @now
RETURNING *;
