-- Service-indicator targets, the append-only audit log (one hash chain per evaluation), and the
-- e-mail outbox written in the same transaction as the event that causes it.
CREATE TABLE targets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    indicator TEXT NOT NULL,
    -- 0 for station-wide indicators (a NULL would not take part in the unique key).
    zone_id BIGINT NOT NULL,
    target_hundredths BIGINT NOT NULL,
    UNIQUE (evaluation_id, indicator, zone_id)
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    chain TEXT NOT NULL,
    seq BIGINT NOT NULL,
    evaluation_id BIGINT REFERENCES evaluations (id),
    actor_id BIGINT REFERENCES users (id),
    actor_org_id BIGINT REFERENCES organizations (id),
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT,
    summary TEXT NOT NULL,
    reason TEXT,
    request_id TEXT,
    at TIMESTAMP NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (chain, seq)
);
CREATE INDEX audit_log_evaluation ON audit_log (evaluation_id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event TEXT NOT NULL,
    evaluation_id BIGINT REFERENCES evaluations (id),
    audit_id BIGINT REFERENCES audit_log (id),
    recipient_user_id BIGINT NOT NULL REFERENCES users (id),
    to_address TEXT,
    subject TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'dead')),
    attempts BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_status ON outbox (status);
