-- Stations (社工站) with their zones (片区) and communities (社区), and service agreements.
CREATE TABLE stations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    district TEXT NOT NULL,
    street TEXT NOT NULL,
    address TEXT,
    operator_org_id BIGINT NOT NULL REFERENCES organizations (id),
    purchaser_org_id BIGINT NOT NULL REFERENCES organizations (id),
    supervisor_org_id BIGINT NOT NULL REFERENCES organizations (id),
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (district, name)
);
CREATE INDEX stations_operator ON stations (operator_org_id);
CREATE INDEX stations_purchaser ON stations (purchaser_org_id);
CREATE INDEX stations_supervisor ON stations (supervisor_org_id);

CREATE TABLE zones (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id BIGINT NOT NULL REFERENCES stations (id),
    name TEXT NOT NULL,
    position BIGINT NOT NULL,
    UNIQUE (station_id, name)
);

CREATE TABLE communities (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    zone_id BIGINT NOT NULL REFERENCES zones (id),
    name TEXT NOT NULL,
    position BIGINT NOT NULL,
    UNIQUE (zone_id, name)
);

-- Money as integer fen (hundredths of a yuan).
CREATE TABLE agreements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    station_id BIGINT NOT NULL REFERENCES stations (id),
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    funding_fen BIGINT NOT NULL,
    required_staff BIGINT NOT NULL,
    required_certified_staff BIGINT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    CHECK (period_start <= period_end),
    CHECK (required_certified_staff <= required_staff)
);
CREATE INDEX agreements_station ON agreements (station_id);
