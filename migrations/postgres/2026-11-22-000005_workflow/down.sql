DROP TABLE outbox;
DROP TABLE audit_log;
DROP TABLE targets;
