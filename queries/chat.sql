-- name: SaveChatMessage :exec
INSERT INTO slack_messages (request_id, kind, channel, ts)
VALUES (@request_id, @kind, @channel, @ts)
ON CONFLICT (request_id, kind) DO UPDATE
SET channel = excluded.channel, ts = excluded.ts;

-- name: GetChatMessage :one
SELECT channel, ts FROM slack_messages
WHERE request_id = @request_id AND kind = @kind;

-- ClaimDelivery affects one row for the first delivery of a key and none
-- for every repeat.
-- name: ClaimDelivery :execrows
INSERT INTO chat_deliveries (key, received_at)
VALUES (@key, @now)
ON CONFLICT (key) DO NOTHING;

-- name: ForgetDeliveries :execrows
DELETE FROM chat_deliveries WHERE received_at < @before;

-- name: GetAuditCursor :one
SELECT last_id FROM audit_cursors WHERE name = @name;

-- AdvanceAuditCursor moves a cursor only from where the caller read it.
-- name: AdvanceAuditCursor :execrows
UPDATE audit_cursors SET last_id = @to_id
WHERE name = @name AND last_id = @from_id AND @to_id > last_id;

-- name: TryLock :one
SELECT pg_try_advisory_lock(@lock_key::bigint);

-- BindChatIdentity returns the email the account is bound to: the one
-- given, when the account is new.
-- name: BindChatIdentity :one
INSERT INTO chat_identities (chat_user, email, bound_at)
VALUES (@chat_user, @email, @now)
ON CONFLICT (chat_user) DO UPDATE SET chat_user = excluded.chat_user
RETURNING email;

-- name: ForgetChatIdentity :one
DELETE FROM chat_identities WHERE chat_user = @chat_user RETURNING email;

-- name: ListChatIdentities :many
SELECT * FROM chat_identities ORDER BY chat_user;

-- HoldsLock reports whether the backend pid still holds the session-level
-- advisory lock key (a bigint key shows in pg_locks as its two halves).
-- name: HoldsLock :one
SELECT EXISTS (
    SELECT 1 FROM pg_catalog.pg_locks
    WHERE locktype = 'advisory'
      AND granted
      AND pid = @pid::int
      AND classid = (@class_id::bigint)::oid
      AND objid = (@obj_id::bigint)::oid
      AND objsubid = 1
);

-- DetectDeadPeer makes the server probe this connection's client, so a
-- lock held by a client that vanished without closing is released within
-- about ninety seconds instead of the operating system's two hours.
-- name: DetectDeadPeer :exec
SELECT set_config('tcp_keepalives_idle', '60', false),
       set_config('tcp_keepalives_interval', '10', false),
       set_config('tcp_keepalives_count', '3', false);

-- name: LockAuditCursor :one
SELECT last_id FROM audit_cursors WHERE name = @name FOR UPDATE;

-- AuditSkipTarget is where a cursor at after_id goes to skip every event
-- before since: just before the first event since then, or the end of the
-- log when there is none. One statement, so one snapshot: an event that
-- commits meanwhile comes after whatever it returns.
-- name: AuditSkipTarget :one
SELECT coalesce(
    (SELECT min(a.id) - 1 FROM audit_events a WHERE a.id > @after_id AND a.at >= @since),
    (SELECT max(b.id) FROM audit_events b),
    0)::bigint;

-- name: SetAuditCursor :exec
UPDATE audit_cursors SET last_id = @to_id WHERE name = @name;
