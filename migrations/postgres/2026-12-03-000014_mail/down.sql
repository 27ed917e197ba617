DROP TABLE notifications;
DROP INDEX outbox_due;
DROP INDEX outbox_evaluation;
UPDATE outbox SET status = 'queued' WHERE status = 'sending';
ALTER TABLE outbox
    DROP CONSTRAINT outbox_status_check,
    ADD CONSTRAINT outbox_status_check CHECK (status IN ('queued', 'sent', 'failed', 'dead')),
    DROP COLUMN body_text,
    DROP COLUMN body_html,
    DROP COLUMN reply_to,
    DROP COLUMN message_id,
    DROP COLUMN next_attempt_at,
    DROP COLUMN lease_until,
    DROP COLUMN dedupe_key;
CREATE INDEX outbox_status ON outbox (status);
