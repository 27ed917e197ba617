-- The station's self-assessment: indicator completions (per zone, or zone 0 station-wide, as
-- targets), the staff roster with one row per worker and month, and the narrative.
CREATE TABLE completions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    indicator TEXT NOT NULL,
    zone_id BIGINT NOT NULL,
    completed_hundredths BIGINT NOT NULL,
    UNIQUE (evaluation_id, indicator, zone_id)
);

CREATE TABLE workers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    -- The worker's line in the roster (序号), from 1.
    line BIGINT NOT NULL,
    name TEXT NOT NULL,
    position TEXT NOT NULL,
    qualification TEXT NOT NULL,
    over_two_years BOOLEAN NOT NULL,
    practice_start DATE,
    zone_id BIGINT REFERENCES zones (id),
    joined_on DATE,
    left_on DATE,
    note TEXT,
    UNIQUE (evaluation_id, line)
);

CREATE TABLE worker_months (
    worker_id BIGINT NOT NULL REFERENCES workers (id) ON DELETE CASCADE,
    -- "2024-12"
    month TEXT NOT NULL,
    on_post_hundredths BIGINT NOT NULL,
    insurance BOOLEAN NOT NULL,
    wage BOOLEAN NOT NULL,
    PRIMARY KEY (worker_id, month)
);

CREATE TABLE self_assessments (
    evaluation_id BIGINT PRIMARY KEY REFERENCES evaluations (id),
    narrative TEXT NOT NULL,
    updated_by BIGINT NOT NULL REFERENCES users (id),
    updated_at TIMESTAMP NOT NULL
);
