-- Sessions (one per login chain), the refresh tokens they rotated out, the revocation feed the
-- gateways poll, and the audit log. Owned by auth.

-- Access tokens carry the user's token_version ("ver"); every change to a user bumps it, and
-- the gateways learn from the revocation feed that older versions are void.
ALTER TABLE users ADD COLUMN token_version bigint NOT NULL DEFAULT 1;

-- One login chain. token_hash is the SHA-256 of the current refresh token, never the token.
CREATE TABLE sessions (
    id               text PRIMARY KEY CHECK (id ~ '^[0-9a-f]{32}$'),
    user_id          bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash       bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at       timestamptz NOT NULL DEFAULT now(),
    last_used_at     timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,            -- slides with each refresh
    chain_expires_at timestamptz NOT NULL,            -- absolute end of the chain
    revoked_at       timestamptz,
    revoke_reason    text,
    ip               text NOT NULL DEFAULT '' CHECK (length(ip) <= 64),
    user_agent       text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 256)
);
CREATE INDEX sessions_user_live ON sessions (user_id, last_used_at) WHERE revoked_at IS NULL;

-- Refresh tokens already rotated out, kept while their session exists: presenting one again
-- is reuse (theft) and kills the session.
CREATE TABLE refresh_used (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    used_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refresh_used_session ON refresh_used (session_id);

-- The feed of revocations: a session (its access tokens die) or a user's minimum token
-- version (every access token of that user with a lower "ver" dies). Kept a day; gateways ask for the
-- rows after the last id they saw.
CREATE TABLE revocations (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id text,
    user_id    bigint,
    min_version bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (session_id IS NOT NULL OR (user_id IS NOT NULL AND min_version IS NOT NULL))
);
CREATE INDEX revocations_created ON revocations (created_at);

-- Append-only: what happened, who, from where. Never a password or a token.
CREATE TABLE audit_log (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ts         timestamptz NOT NULL,
    event      text NOT NULL CHECK (length(event) <= 48),
    severity   text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    service    text NOT NULL DEFAULT '' CHECK (length(service) <= 32),
    actor_id   bigint,
    target     text NOT NULL DEFAULT '' CHECK (length(target) <= 256),
    ip         text NOT NULL DEFAULT '' CHECK (length(ip) <= 64),
    request_id text NOT NULL DEFAULT '' CHECK (length(request_id) <= 16),
    detail     text NOT NULL DEFAULT '' CHECK (length(detail) <= 512)
);
CREATE INDEX audit_log_ts ON audit_log (ts);
CREATE INDEX audit_log_event ON audit_log (event, ts);
