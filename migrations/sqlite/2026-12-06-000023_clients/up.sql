-- 满意度调查: the station's service users for one evaluation, listed during the self-assessment;
-- the agency draws the clients it calls from them. A PUT replaces the list.
CREATE TABLE clients (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    line BIGINT NOT NULL,
    -- the station's own number, else empty; the draw ranks by draw_key
    client_key TEXT,
    draw_key TEXT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT NOT NULL,
    community TEXT NOT NULL,
    service TEXT NOT NULL,
    first_served DATE,
    UNIQUE (evaluation_id, draw_key)
);
CREATE INDEX clients_evaluation ON clients (evaluation_id, line);
