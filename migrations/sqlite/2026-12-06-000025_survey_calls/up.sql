-- 满意度调查: one sampled client's call — reached or why not, the answers (JSON object of question
-- code → option value), who called and when. A later PUT for the same client replaces it.
CREATE TABLE survey_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    client_id BIGINT NOT NULL REFERENCES clients (id),
    reached BOOLEAN NOT NULL,
    -- 空号, 无人接听 or 拒访 when not reached
    unreached_reason TEXT,
    answers TEXT NOT NULL,
    called_by BIGINT NOT NULL REFERENCES users (id),
    called_at TIMESTAMP NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    UNIQUE (evaluation_id, client_id)
);
