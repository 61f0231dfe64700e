-- name: InsertRequest :one
INSERT INTO requests (
    kind, requester, resource, access, duration_seconds, reason, status,
    approvals_required, max_duration_seconds, created_at, pending_expires_at,
    decided_at, decided_by, decision_reason
) VALUES (
    @kind, @requester, @resource, @access, @duration_seconds, @reason, @status,
    @approvals_required, @max_duration_seconds, @created_at, @pending_expires_at,
    sqlc.narg('decided_at'), sqlc.narg('decided_by'), sqlc.narg('decision_reason')
)
RETURNING *;

-- name: GetRequest :one
SELECT * FROM requests WHERE id = @id;

-- LockRequest serializes reviewers of one request for the rest of the
-- transaction, so counting approvals and deciding happen as one step.
-- name: LockRequest :one
SELECT * FROM requests WHERE id = @id FOR UPDATE;

-- DecideRequest moves a request out of pending. The WHERE clause is the
-- guard: a request that is no longer pending, or whose wait ran out, is not
-- changed and no row comes back.
-- name: DecideRequest :one
UPDATE requests
SET status = @status,
    decided_at = @now::timestamptz,
    decided_by = @decided_by::text,
    decision_reason = sqlc.narg('decision_reason')::text
WHERE id = @id
  AND status = 'pending'
  AND pending_expires_at > @now
RETURNING *;

-- name: TimeOutRequests :many
UPDATE requests
SET status = 'timed_out',
    decided_at = @now::timestamptz,
    decided_by = @decided_by::text
WHERE status = 'pending'
  AND pending_expires_at <= @now
RETURNING *;

-- name: ListRequests :many
SELECT * FROM requests
WHERE sqlc.narg('status')::text IS NULL OR status = sqlc.narg('status')::text
ORDER BY created_at DESC, id
LIMIT @max_rows;
