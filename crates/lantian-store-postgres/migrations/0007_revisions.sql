-- The data revision: one counter that every write of hourly values (upsert, import, raw
-- readings) and of the metadata the air figures are computed from (regions, stations, targets)
-- increases inside its own transaction (a row update, not a sequence: a sequence moves before
-- the commit, so a reader could see the new revision with the old data and cache it). A reader
-- that finds it unchanged knows none of those tables changed, so the server caches figures
-- computed from a year of hours keyed by it. One row, id 1.
CREATE TABLE data_revision (
    id  SMALLINT PRIMARY KEY CHECK (id = 1),
    rev BIGINT NOT NULL
);
INSERT INTO data_revision (id, rev) VALUES (1, 0);
