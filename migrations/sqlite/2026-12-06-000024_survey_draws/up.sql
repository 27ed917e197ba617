-- The survey's draws: each the seed, the size, the digest of the client list it was drawn from and
-- the clients drawn (JSON array of client ids, in draw order). A later draw (with its reason) is
-- the one called; the earlier ones stay.
CREATE TABLE survey_draws (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    seed TEXT NOT NULL,
    size BIGINT NOT NULL,
    list_digest TEXT NOT NULL,
    client_ids TEXT NOT NULL,
    reason TEXT,
    drawn_by BIGINT REFERENCES users (id),
    drawn_at TIMESTAMP NOT NULL
);
CREATE INDEX survey_draws_evaluation ON survey_draws (evaluation_id);
