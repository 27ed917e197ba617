-- Deadline extensions as records: for the whole stage (party NULL, the stage deadline moves) or
-- for one party, with the old and new date, the reason and who granted it.
CREATE TABLE deadline_extensions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    stage TEXT NOT NULL,
    party_code TEXT,
    old_date DATE NOT NULL,
    new_date DATE NOT NULL,
    reason TEXT NOT NULL,
    granted_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX deadline_extensions_evaluation ON deadline_extensions (evaluation_id);
