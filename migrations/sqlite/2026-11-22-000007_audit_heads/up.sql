-- The head row of the audit chain for everything outside evaluations: writers update it first,
-- which serializes them.
CREATE TABLE audit_heads (
    chain TEXT PRIMARY KEY,
    seq BIGINT NOT NULL
);
INSERT INTO audit_heads (chain, seq) VALUES ('global', 0);
