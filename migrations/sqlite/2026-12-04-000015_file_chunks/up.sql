-- Evidence files kept in the database (PostgreSQL's default), in chunks of at most 1 MiB so that
-- neither an upload nor a download holds a whole file in memory.
CREATE TABLE file_chunks (
    storage_key TEXT NOT NULL,
    seq INTEGER NOT NULL,
    content BLOB NOT NULL,
    PRIMARY KEY (storage_key, seq)
);
