-- 所在市: a municipal bureau with a city sees what its city's district bureaus take part in;
-- without one (a single-city deployment) it sees everything.
ALTER TABLE organizations ADD COLUMN city TEXT;
CREATE INDEX organizations_city ON organizations (city, kind);
