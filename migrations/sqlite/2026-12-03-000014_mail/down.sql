DROP TABLE notifications;
DROP INDEX outbox_due;
DROP INDEX outbox_evaluation;
ALTER TABLE outbox RENAME TO outbox_v2;
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
INSERT INTO outbox (id, event, evaluation_id, audit_id, recipient_user_id, to_address, subject,
                    status, attempts, last_error, created_at, sent_at)
SELECT id, event, evaluation_id, audit_id, recipient_user_id, to_address, subject,
       CASE WHEN status = 'sending' THEN 'queued' ELSE status END, attempts, last_error, created_at, sent_at
FROM outbox_v2;
DROP TABLE outbox_v2;
CREATE INDEX outbox_status ON outbox (status);
