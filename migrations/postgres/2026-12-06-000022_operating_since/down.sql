ALTER TABLE stations DROP COLUMN operating_since;
