DROP TABLE rectifications;
DROP TABLE objections;
DROP TABLE feedback;
DROP TABLE report_files;
DROP TABLE reports;
ALTER TABLE components DROP COLUMN conclusion;
