-- +goose Up

-- A request is what a person asked for. Its policy numbers (approvals
-- required, maximum duration) are copied in when it is filed, so a config
-- change while it waits cannot move the goalposts of a review in progress.
CREATE TABLE requests (
    id                   uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    kind                 text        NOT NULL DEFAULT 'review'
                                     CHECK (kind IN ('review', 'break_glass', 'operator')),
    requester            text        NOT NULL CHECK (requester <> '' AND requester = lower(requester)),
    resource             text        NOT NULL CHECK (resource <> ''),
    access               text        NOT NULL DEFAULT 'read' CHECK (access IN ('read', 'write')),
    duration_seconds     bigint      NOT NULL CHECK (duration_seconds > 0),
    reason               text        NOT NULL CHECK (btrim(reason) <> ''),
    status               text        NOT NULL DEFAULT 'pending'
                                     CHECK (status IN ('pending', 'approved', 'denied', 'cancelled', 'timed_out')),
    approvals_required   integer     NOT NULL CHECK (approvals_required >= 1),
    max_duration_seconds bigint      NOT NULL CHECK (max_duration_seconds >= duration_seconds),
    created_at           timestamptz NOT NULL,
    pending_expires_at   timestamptz NOT NULL CHECK (pending_expires_at > created_at),
    decided_at           timestamptz,
    decided_by           text,
    decision_reason      text,
    -- A decided request says when and by whom; a pending one says neither.
    CHECK ((status = 'pending') = (decided_at IS NULL)),
    CHECK ((status = 'pending') = (decided_by IS NULL)),
    -- Targets of the composite foreign keys below.
    UNIQUE (id, requester),
    UNIQUE (id, status)
);

CREATE INDEX requests_pending_idx ON requests (pending_expires_at) WHERE status = 'pending';
CREATE INDEX requests_created_idx ON requests (created_at DESC);

-- A review carries its request's requester through a composite foreign key,
-- so the schema itself can refuse a review by the requester.
CREATE TABLE reviews (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id uuid        NOT NULL,
    requester  text        NOT NULL,
    reviewer   text        NOT NULL CHECK (reviewer <> '' AND reviewer = lower(reviewer)),
    decision   text        NOT NULL CHECK (decision IN ('approve', 'deny')),
    reason     text        NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL,
    FOREIGN KEY (request_id, requester) REFERENCES requests (id, requester),
    CHECK (reviewer <> requester),
    -- One review per reviewer: a retried delivery or a double click counts once.
    UNIQUE (request_id, reviewer)
);

-- A grant points at its request together with the request's status, and that
-- status must be 'approved': a grant without an approved request cannot exist,
-- and an approved request that has a grant cannot be moved back. One grant per
-- request, ever.
CREATE TABLE grants (
    id               uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    request_id       uuid        NOT NULL UNIQUE,
    request_status   text        NOT NULL DEFAULT 'approved' CHECK (request_status = 'approved'),
    requester        text        NOT NULL,
    resource         text        NOT NULL,
    access           text        NOT NULL CHECK (access IN ('read', 'write')),
    status           text        NOT NULL DEFAULT 'active'
                                 CHECK (status IN ('active', 'expired', 'revoked', 'released')),
    starts_at        timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    max_expires_at   timestamptz NOT NULL,
    ended_at         timestamptz,
    ended_by         text,
    end_reason       text,
    needs_review     boolean     NOT NULL DEFAULT false,
    acknowledged_by  text,
    acknowledged_at  timestamptz,
    FOREIGN KEY (request_id, request_status) REFERENCES requests (id, status),
    FOREIGN KEY (request_id, requester) REFERENCES requests (id, requester),
    CHECK (expires_at > starts_at),
    CHECK (expires_at <= max_expires_at),
    CHECK ((status = 'active') = (ended_at IS NULL)),
    CHECK ((acknowledged_at IS NULL) = (acknowledged_by IS NULL)),
    CHECK (acknowledged_by IS NULL OR acknowledged_by <> requester)
);

CREATE INDEX grants_active_idx ON grants (requester, resource) WHERE status = 'active';
CREATE INDEX grants_expiry_idx ON grants (expires_at) WHERE status = 'active';

-- A gateway session: one client connection under one grant.
CREATE TABLE sessions (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    grant_id    uuid        NOT NULL REFERENCES grants (id),
    identity    text        NOT NULL,
    resource    text        NOT NULL,
    protocol    text        NOT NULL CHECK (protocol IN ('postgres', 'ssh')),
    client_addr text        NOT NULL,
    started_at  timestamptz NOT NULL,
    ended_at    timestamptz,
    end_reason  text,
    CHECK (ended_at IS NULL OR ended_at >= started_at)
);

CREATE INDEX sessions_grant_idx ON sessions (grant_id);

-- What happened inside a session, already masked when written. Rows come
-- in at the rate of statements, so the table carries one index only: the
-- primary key leads with the session, which is how events are read.
CREATE TABLE session_events (
    id             bigint      GENERATED ALWAYS AS IDENTITY,
    session_id     uuid        NOT NULL REFERENCES sessions (id),
    at             timestamptz NOT NULL,
    kind           text        NOT NULL,
    statement      text        NOT NULL DEFAULT '',
    params         jsonb,
    classification text        NOT NULL DEFAULT '',
    reason         text        NOT NULL DEFAULT '',
    decision       text        NOT NULL DEFAULT '',
    duration_us    bigint,
    rows           bigint,
    sqlstate       text        NOT NULL DEFAULT '',
    PRIMARY KEY (session_id, id)
);

-- The audit log is a hash chain: each row's hash covers its own content and
-- the previous row's hash, so an edit or a deletion anywhere but the tail
-- shows up in `jitgate audit verify`. Rows are appended under a transaction
-- advisory lock so the chain never forks.
CREATE TABLE audit_events (
    id         bigint      PRIMARY KEY,
    at         timestamptz NOT NULL,
    actor      text        NOT NULL,
    action     text        NOT NULL,
    request_id uuid,
    grant_id   uuid,
    details    text        NOT NULL DEFAULT '{}' CHECK (details::jsonb IS NOT NULL),
    prev_hash  bytea       NOT NULL,
    hash       bytea       NOT NULL UNIQUE
);

CREATE SEQUENCE audit_events_id_seq OWNED BY audit_events.id;

CREATE INDEX audit_events_request_idx ON audit_events (request_id) WHERE request_id IS NOT NULL;

-- Append-only: the application never updates or deletes audit rows; this
-- trigger makes an accidental attempt loud instead of silent.
-- +goose StatementBegin
CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_events_append_only
    BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- Where each request's Slack messages are, so any replica can update them.
CREATE TABLE slack_messages (
    request_id uuid        NOT NULL REFERENCES requests (id),
    kind       text        NOT NULL,
    channel    text        NOT NULL,
    ts         text        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (request_id, kind),
    UNIQUE (channel, ts)
);

-- +goose Down
DROP TABLE slack_messages;
DROP TABLE audit_events;
DROP FUNCTION audit_events_append_only();
DROP TABLE session_events;
DROP TABLE sessions;
DROP TABLE grants;
DROP TABLE reviews;
DROP TABLE requests;
