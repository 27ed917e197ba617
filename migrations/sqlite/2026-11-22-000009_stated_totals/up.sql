-- The 合计 row of the last imported indicator workbook, per figure ('target' or 'completion'),
-- kept to warn when it disagrees with the sum of the zones.
CREATE TABLE stated_totals (
    evaluation_id BIGINT NOT NULL REFERENCES evaluations (id),
    indicator TEXT NOT NULL,
    figure TEXT NOT NULL,
    total_hundredths BIGINT NOT NULL,
    PRIMARY KEY (evaluation_id, indicator, figure)
);
