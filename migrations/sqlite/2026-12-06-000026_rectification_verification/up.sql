-- Rectification that is verified (DESIGN.md §10): open → answered → verified | returned → answered …,
-- each item with its due date (the scheme's rectification_days after the approval, moved by the
-- bureau), who verified it and when, and the history of every change.
ALTER TABLE rectifications ADD COLUMN due_on DATE NOT NULL DEFAULT '1970-01-01';
-- The day the due date was set: reminders never fall before it.
ALTER TABLE rectifications ADD COLUMN due_set_on DATE NOT NULL DEFAULT '1970-01-01';
ALTER TABLE rectifications ADD COLUMN verified_by BIGINT REFERENCES users (id);
ALTER TABLE rectifications ADD COLUMN verified_at TIMESTAMP;
-- The users' day of the verification (server.timezone), as the next report prints it.
ALTER TABLE rectifications ADD COLUMN verified_on DATE;
UPDATE rectifications SET status = 'answered' WHERE status = 'done';
UPDATE rectifications SET status = 'open' WHERE status = 'in_progress';
-- Items of reports approved before: 90 days after their evaluation's (latest) final report.
UPDATE rectifications SET
    due_set_on = COALESCE(
        (SELECT date(MAX(r.created_at)) FROM reports r
         WHERE r.evaluation_id = rectifications.evaluation_id AND r.kind = 'final'),
        date(updated_at));
UPDATE rectifications SET due_on = date(due_set_on, '+90 days');

CREATE TABLE rectification_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    rectification_id BIGINT NOT NULL REFERENCES rectifications (id),
    -- answer | verify | return | set_due
    action TEXT NOT NULL,
    -- the item's status after the change
    status TEXT NOT NULL,
    -- the measures, the reason for returning, or the new due date
    note TEXT,
    actor_id BIGINT REFERENCES users (id),
    at TIMESTAMP NOT NULL
);
CREATE INDEX rectification_events_item ON rectification_events (rectification_id, id);

-- Evidence of a rectification answer (整改佐证): an evaluation's file uploaded for one item.
ALTER TABLE attachments ADD COLUMN rectification_id BIGINT REFERENCES rectifications (id);
