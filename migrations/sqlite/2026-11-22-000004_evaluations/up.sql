-- Evaluations of a station's agreement, pinned to one scheme version, with the organization of
-- every party (the operator as party 'station') and one deadline per stage.
CREATE TABLE evaluations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    agreement_id BIGINT NOT NULL REFERENCES agreements (id),
    station_id BIGINT NOT NULL REFERENCES stations (id),
    scheme_code TEXT NOT NULL,
    scheme_version BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('mid_term', 'final_term')),
    assessment_start DATE NOT NULL,
    assessment_end DATE NOT NULL,
    -- Hundredths of a month, e.g. 650 for 6.5; NULL: the calendar months the period touches.
    assessment_months_hundredths BIGINT,
    onsite_date DATE NOT NULL,
    state TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    FOREIGN KEY (scheme_code, scheme_version) REFERENCES schemes (code, version)
);
CREATE INDEX evaluations_station ON evaluations (station_id);

CREATE TABLE evaluation_parties (
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    party_code TEXT NOT NULL,
    org_id BIGINT NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (evaluation_id, party_code)
);
CREATE INDEX evaluation_parties_org ON evaluation_parties (org_id);

CREATE TABLE evaluation_deadlines (
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    stage TEXT NOT NULL,
    due_on DATE NOT NULL,
    PRIMARY KEY (evaluation_id, stage)
);
