-- The problem ledger and the tamper-evident audit log (lantian_store::ledger).
-- Never edit once shipped; add 0003_… instead.
--
-- audit_log is append-only (triggers below) and hash-chained: hash = SHA-256(prev_hash ‖
-- canonical entry), see lantian_store::ledger::entry_hash. audit_head holds the last seq and hash
-- and is updated in the same transaction as every append, so appends serialise on it and a
-- deleted tail shows. A record (problems; later inspections, cases, accountability) carries the
-- seq and hash of the entry that last wrote it, and its body is what that entry's record_digest
-- is the SHA-256 of; the other columns are derived from the body (indexes).

CREATE TABLE audit_log (
    seq           INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    kind          TEXT NOT NULL,
    entity        TEXT NOT NULL,
    action        TEXT NOT NULL,
    payload       BLOB NOT NULL,
    record_digest BLOB,
    prev_hash     BLOB NOT NULL,
    hash          BLOB NOT NULL
);
-- A timeline (kind, entity) and the daily anchor (at).
CREATE INDEX audit_log_entity ON audit_log (kind, entity, seq);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash BLOB NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, zeroblob(32));

-- The ledger. state is State::code(); escalation 0..5 (lantian_store::ledger::escalation_level);
-- due_at is the effective deadline while the problem is open, NULL otherwise, so "overdue at t"
-- is due_at < t. The list is paged by id (keyset); each filter has an index that leads with it.
CREATE TABLE problems (
    id         INTEGER PRIMARY KEY,
    campaign   TEXT NOT NULL,
    category   TEXT NOT NULL,
    unit       TEXT,
    assignee   TEXT,
    grid       TEXT,
    source     TEXT,
    state      TEXT NOT NULL,
    escalation INTEGER NOT NULL,
    due_at     INTEGER,
    found_at   INTEGER NOT NULL,
    closed_at  INTEGER,
    seq        INTEGER NOT NULL,
    body       BLOB NOT NULL,
    log_seq    INTEGER NOT NULL,
    log_hash   BLOB NOT NULL
);
-- Each filter of the list (unit, campaign, state, overdue) leads one index that also holds the
-- other three, so the total count is read from the index alone whichever index the planner takes.
CREATE INDEX problems_unit ON problems (unit, campaign, state, due_at);
CREATE INDEX problems_campaign ON problems (campaign, state, due_at, unit);
CREATE INDEX problems_state ON problems (state, due_at, unit, campaign);
CREATE INDEX problems_due ON problems (due_at, unit, campaign, state) WHERE due_at IS NOT NULL;
CREATE INDEX problems_grid ON problems (grid) WHERE grid IS NOT NULL;
CREATE INDEX problems_source ON problems (source) WHERE source IS NOT NULL;
CREATE INDEX problems_escalation ON problems (escalation) WHERE escalation > 0;

-- Evidence files by content (SHA-256); stored once however often they are named.
CREATE TABLE evidence (
    hash       BLOB PRIMARY KEY NOT NULL,
    media_type TEXT NOT NULL,
    size       INTEGER NOT NULL,
    bytes      BLOB NOT NULL,
    stored_at  INTEGER NOT NULL
);

-- In-app notifications (escalations and dispatches), written with the transition.
CREATE TABLE notifications (
    id      INTEGER PRIMARY KEY,
    person  TEXT NOT NULL,
    at      INTEGER NOT NULL,
    kind    TEXT NOT NULL,
    problem INTEGER NOT NULL,
    text    TEXT NOT NULL,
    read_at INTEGER
);
CREATE INDEX notifications_person ON notifications (person, id);
