-- Reports, the feedback on their drafts, and the rectification items of final reports.

-- The third party's closing words (结语) travel with its component.
ALTER TABLE components ADD COLUMN conclusion TEXT;

-- Every version is frozen: its model (JSON, for comparisons) and its rendered files are written
-- once and never regenerated.
CREATE TABLE reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    version BIGINT NOT NULL,
    -- draft | final
    kind TEXT NOT NULL,
    model TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (evaluation_id, version)
);

CREATE TABLE report_files (
    report_id BIGINT NOT NULL REFERENCES reports (id),
    -- html | docx | pdf
    format TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (report_id, format)
);

-- A party's feedback on one draft version; deemed = silence past the deadline.
CREATE TABLE feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    report_id BIGINT NOT NULL REFERENCES reports (id),
    party_code TEXT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    no_objection BOOLEAN NOT NULL,
    remarks TEXT,
    deemed BOOLEAN NOT NULL,
    created_by BIGINT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    UNIQUE (report_id, party_code)
);

CREATE TABLE objections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    feedback_id BIGINT NOT NULL REFERENCES feedback (id),
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    section TEXT,
    text TEXT NOT NULL,
    -- accepted | rejected, NULL until answered
    decision TEXT,
    reply TEXT,
    answered_by BIGINT REFERENCES users (id),
    answered_at TIMESTAMP
);
CREATE INDEX objections_evaluation ON objections (evaluation_id);

-- 整改事项: the concerns of a final report, answered by the station, shown in its next evaluation.
CREATE TABLE rectifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id BIGINT NOT NULL REFERENCES stations (id),
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    party_code TEXT NOT NULL,
    section TEXT,
    zone_id BIGINT,
    text TEXT NOT NULL,
    -- open | in_progress | done
    status TEXT NOT NULL,
    action_taken TEXT,
    updated_by BIGINT REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX rectifications_station ON rectifications (station_id);
