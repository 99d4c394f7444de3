-- Accounts (lantian_store::accounts): users and their browser sessions / API tokens.
-- Only hashes are stored: the argon2id PHC string of the password and the SHA-256 (hex) of each
-- token. Instants are INTEGER Unix seconds.

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    person        TEXT REFERENCES people (id),
    role          TEXT NOT NULL,
    unit          TEXT REFERENCES units (code),
    grids         TEXT NOT NULL DEFAULT '[]', -- JSON array of region codes
    password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2%'),
    failed_logins INTEGER NOT NULL DEFAULT 0 CHECK (failed_logins >= 0),
    locked_until  INTEGER,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY,
    token_hash   TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    user_id      INTEGER NOT NULL REFERENCES users (id),
    kind         TEXT NOT NULL CHECK (kind IN ('web', 'api')),
    scopes       TEXT NOT NULL,
    label        TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL CHECK (expires_at > created_at),
    last_seen_at INTEGER NOT NULL,
    revoked_at   INTEGER
);

CREATE INDEX sessions_user ON sessions (user_id);
