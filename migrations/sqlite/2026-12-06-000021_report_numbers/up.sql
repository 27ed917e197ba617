-- 报告编号 such as 穗社评〔2025〕第017号: the agency's prefix, and a sequence per agency and year
-- that the first version of an evaluation's report takes (its later versions keep the number).
ALTER TABLE organizations ADD COLUMN report_prefix TEXT;
ALTER TABLE reports ADD COLUMN number TEXT;
CREATE TABLE report_numbers (
    agency_org_id BIGINT NOT NULL REFERENCES organizations (id),
    year INTEGER NOT NULL,
    last_sequence BIGINT NOT NULL,
    PRIMARY KEY (agency_org_id, year)
);
