-- The third party's expert panel: the organizations each expert has worked for or advised (for
-- conflicts by institution), assignments to evaluations with the declaration of conflict (回避),
-- and each expert's scoring sheet.
CREATE TABLE expert_affiliations (
    user_id BIGINT NOT NULL REFERENCES users (id),
    organization TEXT NOT NULL,
    PRIMARY KEY (user_id, organization)
);

CREATE TABLE panel (
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    expert_id BIGINT NOT NULL REFERENCES users (id),
    assigned_by BIGINT NOT NULL REFERENCES users (id),
    override_reason TEXT,
    assigned_at TIMESTAMP NOT NULL,
    -- NULL until declared; TRUE recuses the expert.
    conflict_of_interest BOOLEAN,
    -- open | submitted
    sheet_status TEXT NOT NULL,
    sheet_version BIGINT NOT NULL,
    submitted_at TIMESTAMP,
    PRIMARY KEY (evaluation_id, expert_id)
);

CREATE TABLE expert_scores (
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    expert_id BIGINT NOT NULL REFERENCES users (id),
    item TEXT NOT NULL,
    score_hundredths BIGINT NOT NULL,
    PRIMARY KEY (evaluation_id, expert_id, item)
);
