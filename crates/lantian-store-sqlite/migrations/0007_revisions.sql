-- The data revision: one counter that every write of hourly values (upsert, import, raw
-- readings) and of the metadata the air figures are computed from (regions, stations, targets)
-- increases inside its own transaction. A reader that finds it unchanged knows none of those
-- tables changed, so the server caches figures computed from a year of hours (the overview,
-- the targets' year to date) keyed by it. One row, id 1.
CREATE TABLE data_revision (
    id  INTEGER PRIMARY KEY CHECK (id = 1),
    rev INTEGER NOT NULL
);
INSERT INTO data_revision (id, rev) VALUES (1, 0);
