DROP INDEX organizations_city;
ALTER TABLE organizations DROP COLUMN city;
