-- Each party's component (分项评分) of an evaluation: a raw score on the party's native scale (or,
-- for a gate, pass/fail with a reason), strengths and concerns as JSON, draft or submitted.
CREATE TABLE components (
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    party_code TEXT NOT NULL,
    raw_hundredths BIGINT,
    gate_passed BOOLEAN,
    gate_reason TEXT,
    strengths TEXT NOT NULL,
    concerns TEXT NOT NULL,
    status TEXT NOT NULL,
    version BIGINT NOT NULL,
    updated_by BIGINT NOT NULL REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    PRIMARY KEY (evaluation_id, party_code)
);
