-- The outbox carries the rendered message (subject, text and HTML bodies, Reply-To, a stable
-- Message-ID), its delivery state (sending under a lease, next attempt) and, for reminders, a key
-- that makes each reminder at most once per user and deadline. In-app notifications beside it.
DROP INDEX outbox_status;
ALTER TABLE outbox RENAME TO outbox_v1;
CREATE TABLE outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event TEXT NOT NULL,
    evaluation_id BIGINT REFERENCES evaluations (id),
    audit_id BIGINT REFERENCES audit_log (id),
    recipient_user_id BIGINT NOT NULL REFERENCES users (id),
    to_address TEXT,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL DEFAULT '',
    body_html TEXT NOT NULL DEFAULT '',
    reply_to TEXT,
    message_id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'dead')),
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    last_error TEXT,
    dedupe_key TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
INSERT INTO outbox (id, event, evaluation_id, audit_id, recipient_user_id, to_address, subject,
                    message_id, status, attempts, next_attempt_at, last_error, created_at, sent_at)
SELECT id, event, evaluation_id, audit_id, recipient_user_id, to_address, subject,
       '<outbox-' || id || '@pinggu>',
       CASE WHEN to_address IS NULL AND status = 'queued' THEN 'dead' ELSE status END,
       attempts, created_at,
       CASE WHEN to_address IS NULL AND status = 'queued' THEN '收件人没有电子邮件地址' ELSE last_error END,
       created_at, sent_at
FROM outbox_v1;
DROP TABLE outbox_v1;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_evaluation ON outbox (evaluation_id);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    evaluation_id BIGINT REFERENCES evaluations (id),
    event TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    dedupe_key TEXT UNIQUE,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
CREATE INDEX notifications_user ON notifications (user_id, id);
