ALTER TABLE organizations DROP COLUMN full_name;
