-- Lantian store on SQLite: the initial schema.
-- Migrations are only ever ADDED (sqlx checks the checksum of every applied one): never edit this
-- file once it has shipped; write 0002_… instead.
--
-- Instants are INTEGER Unix seconds; hourly values are keyed by the END of their hour; days are
-- Asia/Shanghai days since 1970-01-01 (hours labelled 01..24). Pollutants, origins and flags are
-- small integers (lantian_store::codec); other enums are their stable code() text.
-- References between metadata tables are DEFERRABLE INITIALLY DEFERRED so a batch may hold rows
-- in any order; they are checked at COMMIT.

CREATE TABLE regions (
    code   TEXT PRIMARY KEY NOT NULL,
    name   TEXT NOT NULL,
    level  TEXT NOT NULL,
    parent TEXT REFERENCES regions (code) DEFERRABLE INITIALLY DEFERRED,
    area   TEXT -- GeoJSON geometry (Polygon or MultiPolygon)
);

CREATE TABLE units (
    code   TEXT PRIMARY KEY NOT NULL,
    name   TEXT NOT NULL,
    kind   TEXT NOT NULL,
    region TEXT REFERENCES regions (code) DEFERRABLE INITIALLY DEFERRED
);

CREATE TABLE people (
    id    TEXT PRIMARY KEY NOT NULL,
    name  TEXT NOT NULL,
    unit  TEXT NOT NULL REFERENCES units (code) DEFERRABLE INITIALLY DEFERRED,
    role  TEXT NOT NULL,
    phone TEXT
);

CREATE TABLE responsibilities (
    region TEXT NOT NULL REFERENCES regions (code) DEFERRABLE INITIALLY DEFERRED,
    person TEXT NOT NULL REFERENCES people (id) DEFERRABLE INITIALLY DEFERRED,
    duty   TEXT NOT NULL,
    PRIMARY KEY (region, person, duty)
) WITHOUT ROWID;

-- The small integer id is what the reading tables store: 4 bytes instead of a code per row.
CREATE TABLE stations (
    id         INTEGER PRIMARY KEY,
    code       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    kind       TEXT NOT NULL,
    lon        REAL,
    lat        REAL,
    grid       TEXT REFERENCES regions (code) DEFERRABLE INITIALLY DEFERRED,
    city       TEXT,
    control    INTEGER NOT NULL,
    pollutants TEXT NOT NULL -- CNEMC codes joined by commas
);

CREATE TABLE calibrations (
    station   INTEGER NOT NULL REFERENCES stations (id),
    seq       INTEGER NOT NULL, -- position in the station's list, which is kept as given
    pollutant INTEGER NOT NULL,
    since     INTEGER NOT NULL,
    slope     REAL NOT NULL,
    intercept REAL NOT NULL,
    PRIMARY KEY (station, pollutant, since)
) WITHOUT ROWID;

CREATE TABLE sources (
    id       TEXT PRIMARY KEY NOT NULL,
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL,
    lon      REAL,
    lat      REAL,
    grid     TEXT REFERENCES regions (code) DEFERRABLE INITIALLY DEFERRED,
    unit     TEXT REFERENCES units (code) DEFERRABLE INITIALLY DEFERRED,
    status   TEXT NOT NULL,
    vocs     INTEGER NOT NULL,
    industry TEXT
);
CREATE INDEX sources_grid ON sources (grid);
CREATE INDEX sources_unit ON sources (unit);

CREATE TABLE targets (
    year      INTEGER NOT NULL,
    area      TEXT NOT NULL REFERENCES regions (code) DEFERRABLE INITIALLY DEFERRED,
    indicator TEXT NOT NULL,
    value     REAL NOT NULL,
    PRIMARY KEY (year, area, indicator)
) WITHOUT ROWID;

-- The hot table. The primary key starts with the hour because values arrive hour by hour across
-- all stations: inserts then append at the end of the b-tree (STACK.md §5 pitfall 19 measured 14x
-- against a station-first key). Per-station reads seek hour by hour (one b-tree seek per hour),
-- so no secondary index is needed. No foreign key on station: the store resolves codes to ids
-- before writing, and a per-row check would cost on every insert.
CREATE TABLE hourly (
    ts               INTEGER NOT NULL,
    station          INTEGER NOT NULL,
    pollutant        INTEGER NOT NULL,
    raw              REAL,
    corrected        REAL,
    validated        REAL,
    flags            INTEGER NOT NULL,
    origin           INTEGER NOT NULL,
    capture_valid    INTEGER NOT NULL,
    capture_expected INTEGER NOT NULL,
    PRIMARY KEY (ts, station, pollutant),
    CHECK (flags = 0 OR validated IS NULL)
) WITHOUT ROWID;

-- The newest hour per station and pollutant, kept by every hourly write (never backwards), and
-- the oldest (first_ts), which bounds the hour-by-hour seeks of a range read.
CREATE TABLE latest_value (
    station   INTEGER NOT NULL,
    pollutant INTEGER NOT NULL,
    first_ts  INTEGER NOT NULL,
    ts        INTEGER NOT NULL,
    raw       REAL,
    corrected REAL,
    validated REAL,
    flags     INTEGER NOT NULL,
    origin    INTEGER NOT NULL,
    PRIMARY KEY (station, pollutant)
) WITHOUT ROWID;

-- Validated hourly values per station, pollutant and local day, kept by every hourly write.
-- hours: bit k = the k-th hour (labelled k+1) has a row. dirty = 1 only inside a write
-- transaction, between merging a batch that overlapped counted hours and recomputing the row.
CREATE TABLE daily_rollup (
    day       INTEGER NOT NULL,
    station   INTEGER NOT NULL,
    pollutant INTEGER NOT NULL,
    hours     INTEGER NOT NULL,
    n_valid   INTEGER NOT NULL,
    sum       REAL NOT NULL,
    min       REAL,
    max       REAL,
    dirty     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (day, station, pollutant)
) WITHOUT ROWID;
CREATE INDEX daily_rollup_dirty ON daily_rollup (dirty) WHERE dirty = 1;

-- Sub-hourly readings (micro-stations), each over interval_s seconds ending at ts.
CREATE TABLE raw_readings (
    station    INTEGER NOT NULL,
    pollutant  INTEGER NOT NULL,
    interval_s INTEGER NOT NULL,
    ts         INTEGER NOT NULL,
    value      REAL NOT NULL,
    origin     INTEGER NOT NULL,
    PRIMARY KEY (station, pollutant, interval_s, ts)
) WITHOUT ROWID;
