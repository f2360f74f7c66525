-- Stream keys (issue 5): opaque capabilities to play one source, minted for a user's session.
-- key_hash is the SHA-256 of the key, never the key. A key dies with its session: STREAM_KEY_CHECK
-- refuses a key whose session is revoked or expired, and deleting the session (housekeeping,
-- or the user) deletes its keys. Expired keys are deleted by the housekeeping sweep.
CREATE TABLE stream_keys (
    key_hash   bytea PRIMARY KEY CHECK (length(key_hash) = 32),
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    source_id  bigint NOT NULL CHECK (source_id > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
-- The per-session cap keeps the newest keys of a session; the sweep finds the expired ones.
CREATE INDEX stream_keys_session ON stream_keys (session_id, created_at);
CREATE INDEX stream_keys_expires ON stream_keys (expires_at);
-- Deleting a user deletes its keys (the foreign key) without a scan of the table.
CREATE INDEX stream_keys_user ON stream_keys (user_id);
