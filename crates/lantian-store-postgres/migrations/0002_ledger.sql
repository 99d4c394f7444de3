-- The problem ledger and the tamper-evident audit log (lantian_store::ledger).
-- Never edit once shipped; add 0003_… instead.
--
-- audit_log is append-only (trigger below; the application role may also be REVOKEd UPDATE and
-- DELETE) and hash-chained: hash = SHA-256(prev_hash ‖ canonical entry), see
-- lantian_store::ledger::entry_hash. audit_head holds the last seq and hash; every append locks it
-- (SELECT … FOR UPDATE) and moves it in the same transaction, so appends serialise and a deleted
-- tail shows. A record (problems; later inspections, cases, accountability) carries the seq and
-- hash of the entry that last wrote it, and its body is what that entry's record_digest is the
-- SHA-256 of; the other columns are derived from the body (indexes).

CREATE TABLE audit_log (
    seq           BIGINT PRIMARY KEY,
    at            BIGINT NOT NULL,
    actor         TEXT NOT NULL,
    kind          TEXT NOT NULL,
    entity        TEXT NOT NULL,
    action        TEXT NOT NULL,
    payload       BYTEA NOT NULL,
    record_digest BYTEA,
    prev_hash     BYTEA NOT NULL,
    hash          BYTEA NOT NULL
);
CREATE INDEX audit_log_entity ON audit_log (kind, entity, seq);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash BYTEA NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, decode(repeat('00', 32), 'hex'));

-- The ledger. state is State::code(); escalation 0..5 (lantian_store::ledger::escalation_level);
-- due_at is the effective deadline while the problem is open, NULL otherwise, so "overdue at t"
-- is due_at < t. The list is paged by id (keyset); each filter has an index that leads with it.
CREATE TABLE problems (
    id         BIGINT PRIMARY KEY,
    campaign   TEXT NOT NULL,
    category   TEXT NOT NULL,
    unit       TEXT,
    assignee   TEXT,
    grid       TEXT,
    source     TEXT,
    state      TEXT NOT NULL,
    escalation SMALLINT NOT NULL,
    due_at     BIGINT,
    found_at   BIGINT NOT NULL,
    closed_at  BIGINT,
    seq        BIGINT NOT NULL,
    body       BYTEA NOT NULL,
    log_seq    BIGINT NOT NULL,
    log_hash   BYTEA NOT NULL
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
    hash       BYTEA PRIMARY KEY,
    media_type TEXT NOT NULL,
    size       BIGINT NOT NULL,
    bytes      BYTEA NOT NULL,
    stored_at  BIGINT NOT NULL
);

-- In-app notifications (escalations and dispatches), written with the transition.
CREATE TABLE notifications (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    person  TEXT NOT NULL,
    at      BIGINT NOT NULL,
    kind    TEXT NOT NULL,
    problem BIGINT NOT NULL,
    text    TEXT NOT NULL,
    read_at BIGINT
);
CREATE INDEX notifications_person ON notifications (person, id);
