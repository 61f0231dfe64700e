-- LockAuditChain makes appends to the chain take turns until the end of the
-- transaction, so two writers never hang rows off the same predecessor.
-- name: LockAuditChain :exec
SELECT pg_advisory_xact_lock(@lock_key::bigint);

-- name: LastAuditEvent :one
SELECT id, hash FROM audit_events ORDER BY id DESC LIMIT 1;

-- name: NextAuditID :one
SELECT nextval('audit_events_id_seq')::bigint;

-- name: InsertAuditEvent :exec
INSERT INTO audit_events (id, at, actor, action, request_id, grant_id, details, prev_hash, hash)
VALUES (@id, @at, @actor, @action, sqlc.narg('request_id'), sqlc.narg('grant_id'), @details, @prev_hash, @hash);

-- name: ListAuditEvents :many
SELECT * FROM audit_events
WHERE id > @after_id
ORDER BY id
LIMIT @max_rows;

-- name: ListAuditEventsForRequest :many
SELECT * FROM audit_events
WHERE request_id = @request_id
ORDER BY id;
