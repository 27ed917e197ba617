-- Evaluation schemes: one row per (code, version), the document as canonical JSON. A version is
-- never updated: a change is a new version.
CREATE TABLE schemes (
    code TEXT NOT NULL,
    version BIGINT NOT NULL,
    name TEXT NOT NULL,
    document TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (code, version)
);
