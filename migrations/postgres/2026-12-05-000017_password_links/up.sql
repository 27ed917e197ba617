-- Single-use links to set one's own password (welcome e-mails, DESIGN.md §8): stored only as
-- SHA-256 hashes of the token, valid until expires_at, spent when used_at is set. A new link
-- for a user spends the older ones.
CREATE TABLE password_links (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX password_links_user ON password_links (user_id);
