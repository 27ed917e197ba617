DROP TABLE audit_heads;
