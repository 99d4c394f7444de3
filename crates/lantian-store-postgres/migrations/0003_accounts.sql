-- Accounts (lantian_store::accounts): users and their browser sessions / API tokens.
-- Only hashes are stored: the argon2id PHC string of the password and the SHA-256 (hex) of each
-- token. Instants are BIGINT Unix seconds.

CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    login         TEXT COLLATE "C" NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    person        TEXT COLLATE "C" REFERENCES people (id),
    role          TEXT NOT NULL,
    unit          TEXT COLLATE "C" REFERENCES units (code),
    grids         TEXT NOT NULL DEFAULT '[]', -- JSON array of region codes
    password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2%'),
    failed_logins BIGINT NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until  BIGINT,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    user_id      BIGINT NOT NULL REFERENCES users (id),
    kind         TEXT NOT NULL CHECK (kind IN ('web', 'api')),
    scopes       TEXT NOT NULL,
    label        TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL CHECK (expires_at > created_at),
    last_seen_at BIGINT NOT NULL,
    revoked_at   BIGINT
);

CREATE INDEX sessions_user ON sessions (user_id);
