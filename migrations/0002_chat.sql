-- +goose Up

-- A risky statement a live session holds until a reviewer decides. Who and
-- which resource are copied from the grant, so the review can be authorized
-- and shown without joining back, and can never disagree with the grant.
CREATE TABLE statement_reviews (
    id          uuid        PRIMARY KEY DEFAULT gen_random_uuid(),
    grant_id    uuid        NOT NULL REFERENCES grants (id),
    session_id  uuid        NOT NULL REFERENCES sessions (id),
    request_id  uuid        NOT NULL REFERENCES requests (id),
    requester   text        NOT NULL,
    resource    text        NOT NULL,
    -- Already masked by the gateway: this table never holds a secret.
    statement   text        NOT NULL,
    reasons     text[]      NOT NULL DEFAULT '{}',
    status      text        NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'approved', 'denied', 'timed_out')),
    created_at  timestamptz NOT NULL,
    waits_until timestamptz NOT NULL CHECK (waits_until > created_at),
    decided_at  timestamptz,
    decided_by  text,
    CHECK ((status = 'pending') = (decided_at IS NULL)),
    CHECK ((status = 'pending') = (decided_by IS NULL)),
    CHECK (decided_by IS NULL OR decided_by <> requester OR status = 'timed_out')
);

CREATE INDEX statement_reviews_pending_idx ON statement_reviews (waits_until) WHERE status = 'pending';

-- How far each follower of the audit log (the Slack bot) has told what
-- happened. It starts at the log's end: history before chat was switched on
-- is not replayed into channels.
CREATE TABLE audit_cursors (
    name    text   PRIMARY KEY,
    last_id bigint NOT NULL CHECK (last_id >= 0)
);

INSERT INTO audit_cursors (name, last_id)
SELECT 'slack', coalesce(max(id), 0) FROM audit_events;

-- Deliveries from chat that were already acted on, so a retried or replayed
-- one (same trigger) changes nothing a second time, on whichever replica it
-- lands.
CREATE TABLE chat_deliveries (
    key         text        PRIMARY KEY,
    received_at timestamptz NOT NULL
);

CREATE INDEX chat_deliveries_received_idx ON chat_deliveries (received_at);

-- The email each chat account acts as. An account keeps the email it was
-- first seen with, and an email belongs to one account: a person who
-- changes their chat profile's email cannot review as a second person, or
-- approve their own request under another name, until an operator forgets
-- the binding.
CREATE TABLE chat_identities (
    chat_user text        PRIMARY KEY CHECK (chat_user <> ''),
    email     text        NOT NULL UNIQUE CHECK (email <> '' AND email = lower(email)),
    bound_at  timestamptz NOT NULL
);

-- +goose Down
DROP TABLE chat_identities;
DROP TABLE chat_deliveries;
DROP TABLE audit_cursors;
DROP TABLE statement_reviews;
