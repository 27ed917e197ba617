DROP TABLE report_numbers;
ALTER TABLE reports DROP COLUMN number;
ALTER TABLE organizations DROP COLUMN report_prefix;
