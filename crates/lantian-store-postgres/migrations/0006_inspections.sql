-- Inspection plans and records (检查): record kinds of the audit log
-- (lantian_store::inspections). Never edit once shipped; add 0007_… instead.
--
-- Like cases: body is the canonical JSON of the domain value (a plan: InspectionPlan; a
-- record: FiledRecord — the InspectionRecord with its check, the problems it created, who filed
-- it) and what the writing entry's record_digest is the SHA-256 of; log_seq/log_hash name that
-- entry; the other columns are derived from the body (InspectionColumns) so verify recomputes
-- them. units/grids hold the visible targets' unit and grid codes framed '|a|b|' (a sealed
-- 四不两直 plan: '|' until dispatch — its list is never stored, only the seal in the body).
-- plan: a plan's own id, a record's plan (0 without); at: planned time / check-in; seq: a plan
-- 1 once dispatched, a record 0.
CREATE TABLE inspection_plans (
    id       BIGINT PRIMARY KEY,
    campaign TEXT NOT NULL,
    mode     TEXT NOT NULL,
    units    TEXT NOT NULL,
    grids    TEXT NOT NULL,
    plan     BIGINT NOT NULL,
    at       BIGINT NOT NULL,
    seq      BIGINT NOT NULL,
    body     BYTEA NOT NULL,
    log_seq  BIGINT NOT NULL,
    log_hash BYTEA NOT NULL
);
CREATE INDEX inspection_plans_campaign ON inspection_plans (campaign, mode, at);
CREATE INDEX inspection_plans_at ON inspection_plans (at);

CREATE TABLE inspection_records (
    id       BIGINT PRIMARY KEY,
    campaign TEXT NOT NULL,
    mode     TEXT NOT NULL,
    units    TEXT NOT NULL,
    grids    TEXT NOT NULL,
    plan     BIGINT NOT NULL,
    at       BIGINT NOT NULL,
    seq      BIGINT NOT NULL,
    body     BYTEA NOT NULL,
    log_seq  BIGINT NOT NULL,
    log_hash BYTEA NOT NULL
);
CREATE INDEX inspection_records_campaign ON inspection_records (campaign, mode, at);
CREATE INDEX inspection_records_plan ON inspection_records (plan);
CREATE INDEX inspection_records_at ON inspection_records (at);
