-- InsertGrant copies who, what and which level from the approved request,
-- so a grant can never disagree with what was approved.
-- name: InsertGrant :one
INSERT INTO grants (request_id, requester, resource, access, starts_at, expires_at, max_expires_at, needs_review)
SELECT r.id, r.requester, r.resource, r.access, @starts_at, @expires_at, @max_expires_at, @needs_review
FROM requests r
WHERE r.id = @request_id AND r.status = 'approved'
RETURNING *;

-- name: GetGrant :one
SELECT * FROM grants WHERE id = @id;

-- name: LockGrant :one
SELECT * FROM grants WHERE id = @id FOR UPDATE;

-- name: GetGrantByRequest :one
SELECT * FROM grants WHERE request_id = @request_id;

-- ActiveGrant finds the grant that gives access now. A grant past its end is
-- never returned, whether or not the expiry job has marked it yet.
-- name: ActiveGrant :one
SELECT * FROM grants
WHERE requester = @requester
  AND resource = @resource
  AND status = 'active'
  AND starts_at <= @now
  AND expires_at > @now
ORDER BY expires_at DESC
LIMIT 1;

-- EndGrant revokes or releases a grant that still gives access.
-- name: EndGrant :one
UPDATE grants
SET status = @status,
    ended_at = @now::timestamptz,
    ended_by = @ended_by::text,
    end_reason = @end_reason::text
WHERE id = @id
  AND status = 'active'
  AND expires_at > @now
RETURNING *;

-- ExpireGrants marks every grant whose end has passed; it ends at its
-- expires_at, not at the moment the job happened to run.
-- name: ExpireGrants :many
UPDATE grants
SET status = 'expired',
    ended_at = expires_at,
    ended_by = @ended_by::text,
    end_reason = 'expired'
WHERE status = 'active'
  AND expires_at <= @now
RETURNING *;

-- name: ExtendGrant :one
UPDATE grants
SET expires_at = @new_expires_at
WHERE id = @id
  AND status = 'active'
  AND expires_at > @now
  AND expires_at < @new_expires_at
  AND max_expires_at >= @new_expires_at
RETURNING *;

-- name: AcknowledgeGrant :one
UPDATE grants
SET needs_review = false,
    acknowledged_by = @acknowledged_by::text,
    acknowledged_at = @now::timestamptz
WHERE id = @id
  AND needs_review
RETURNING *;

-- name: ListGrants :many
SELECT * FROM grants
WHERE NOT @active_only::boolean
   OR (status = 'active' AND starts_at <= @now AND expires_at > @now)
ORDER BY starts_at DESC, id
LIMIT @max_rows;

-- Notify tells every replica that something changed: a grant (so gateways
-- close its sessions), an audit event (so the chat follower wakes up). It
-- runs inside the transaction of the change, so the notice goes out exactly
-- when the change commits, and never for one that rolled back.
-- name: Notify :exec
SELECT pg_notify(@channel::text, @payload::text);
