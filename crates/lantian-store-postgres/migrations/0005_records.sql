-- Enforcement cases (执法) and accountability records (问责): record kinds of the audit log
-- (lantian_store::records). Never edit once shipped; add 0006_… instead.
--
-- Like problems: body is the canonical JSON of the domain value and what the writing entry's
-- record_digest is the SHA-256 of; log_seq/log_hash name that entry; the other columns are
-- derived from the body (lantian_store::records::RecordColumns) so verify recomputes them.
-- sources/problems hold the linked codes/ids framed '|a|b|' ("linked to x" is LIKE '%|x|%').
-- state is the case state code, or the accountability kind code.
CREATE TABLE cases (
    id       BIGINT PRIMARY KEY,
    unit     TEXT NOT NULL,
    state    TEXT NOT NULL,
    sources  TEXT NOT NULL,
    problems TEXT NOT NULL,
    at       BIGINT NOT NULL,
    seq      BIGINT NOT NULL,
    body     BYTEA NOT NULL,
    log_seq  BIGINT NOT NULL,
    log_hash BYTEA NOT NULL
);
CREATE INDEX cases_unit ON cases (unit, state);
CREATE INDEX cases_state ON cases (state);

CREATE TABLE accountability (
    id       BIGINT PRIMARY KEY,
    unit     TEXT NOT NULL,
    state    TEXT NOT NULL,
    sources  TEXT NOT NULL,
    problems TEXT NOT NULL,
    at       BIGINT NOT NULL,
    seq      BIGINT NOT NULL,
    body     BYTEA NOT NULL,
    log_seq  BIGINT NOT NULL,
    log_hash BYTEA NOT NULL
);
CREATE INDEX accountability_unit ON accountability (unit, state);
