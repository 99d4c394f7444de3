#!/usr/bin/env bash
# The import benchmark of issue #3: `lantian import cnemc` of January 2025 (about 7.1 M values)
# into SQLite and PostgreSQL, each beside its storage's own bulk path measured in the same run:
# sqlite3's `.import` of the same rows as a long CSV into an equivalent table, and PostgreSQL's
# COPY of that CSV. Nothing here is a test.
#
#   bash bench/import.sh [DATA_DIR] [PG_ADMIN_URL]      (SKIP_BUILD=1 BIN=… to reuse a binary)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${1:-../shared/data/cnemc/china_sites}
PG=${2:-postgres://postgres@127.0.0.1:5432/postgres}
OUT=bench/out
mkdir -p "$OUT"
# SKIP_BUILD=1 reuses the release binary already built (BIN, default target/release/lantian).
# The workspace is built whole: `-p lantian-cli` alone unifies features differently and
# rebuilds every dependency.
[ "${SKIP_BUILD:-}" = 1 ] || cargo build --release -q --workspace
BIN=${BIN:-${CARGO_TARGET_DIR:-target}/release/lantian}
now() { date +%s.%N; }

# The same rows as a long CSV, in the hourly table's column order (made outside the timing).
python3 - "$DATA" "$OUT/long.csv" <<'PY'
import csv, glob, os, sys, datetime as dt
src, out = sys.argv[1], sys.argv[2]
pols = {"SO2": 0, "NO2": 1, "PM10": 2, "CO": 3, "O3": 4, "PM2.5": 5}
ids = {}
with open(out, "w") as f:
    for path in sorted(glob.glob(os.path.join(src, "china_sites_*.csv"))):
        rows = list(csv.reader(open(path, encoding="utf-8")))
        hdr = rows[0]
        for r in rows[1:]:
            if r[2] not in pols:
                continue
            d = dt.datetime.strptime(r[0], "%Y%m%d").replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
            ts = int(d.timestamp()) + int(r[1]) * 3600
            for code, v in zip(hdr[3:], r[3:]):
                if v:
                    sid = ids.setdefault(code, len(ids) + 1)
                    f.write(f"{ts},{sid},{pols[r[2]]},{v},,{v},0,1,1,1\n")
PY
ROWS=$(wc -l < "$OUT/long.csv")
SCHEMA_SQLITE="CREATE TABLE hourly (ts INTEGER NOT NULL, station INTEGER NOT NULL, pollutant INTEGER NOT NULL, raw REAL, corrected REAL, validated REAL, flags INTEGER NOT NULL, origin INTEGER NOT NULL, capture_valid INTEGER NOT NULL, capture_expected INTEGER NOT NULL, PRIMARY KEY (ts, station, pollutant)) WITHOUT ROWID;"

# --- SQLite ------------------------------------------------------------------------------
rm -f "$OUT"/bench.sqlite* "$OUT"/ref.sqlite*
t0=$(now); "$BIN" import cnemc "$DATA" --db "$OUT/bench.sqlite" > "$OUT/import-sqlite.txt"; t1=$(now)
VALUES=$(grep -o '[0-9]* values' "$OUT/import-sqlite.txt" | head -1 | cut -d' ' -f1)
t2=$(now)
sqlite3 "$OUT/ref.sqlite" <<SQL
PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-262144;
$SCHEMA_SQLITE
.mode csv
.import $OUT/long.csv hourly
SQL
t3=$(now)

# --- PostgreSQL --------------------------------------------------------------------------
PGDB=lantian_bench_$$
psql "$PG" -qc "CREATE DATABASE $PGDB" >/dev/null
PGURL="${PG%/*}/$PGDB"
"$BIN" import stations --db "$PGURL" > /dev/null   # migrations and stations outside the timing
t4=$(now); "$BIN" import cnemc "$DATA" --db "$PGURL" > "$OUT/import-pg.txt"; t5=$(now)
psql "$PGURL" -qc "CREATE TABLE ref_hourly (ts BIGINT NOT NULL, station INTEGER NOT NULL, pollutant SMALLINT NOT NULL, raw DOUBLE PRECISION, corrected DOUBLE PRECISION, validated DOUBLE PRECISION, flags SMALLINT NOT NULL, origin SMALLINT NOT NULL, capture_valid INTEGER NOT NULL, capture_expected INTEGER NOT NULL, PRIMARY KEY (ts, station, pollutant))"
t6=$(now); psql "$PGURL" -qc "\\copy ref_hourly FROM '$OUT/long.csv' WITH (FORMAT csv)"; t7=$(now)
psql "$PG" -qc "DROP DATABASE $PGDB" >/dev/null

python3 - "$VALUES" "$ROWS" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$t6" "$t7" <<'PY'
import sys
v, rows, *t = sys.argv[1:]
v, rows = int(v), int(rows)
t = list(map(float, t))
lt, ref, pg, copy = t[1]-t[0], t[3]-t[2], t[5]-t[4], t[7]-t[6]
print(f"values imported: {v:,} (reference CSV rows: {rows:,})")
print(f"SQLite  lantian import cnemc: {lt:7.2f} s = {v/lt/1e6:5.2f} M values/s  (target >= 1 M/s)")
print(f"        sqlite3 .import     : {ref:7.2f} s;  lantian / sqlite3 = {lt/ref:4.2f}x  (target <= 3x)")
print(f"PostgreSQL lantian import   : {pg:7.2f} s = {v/pg/1e3:7.0f} k values/s  (target >= 300 k/s)")
print(f"        COPY (psql \\copy)   : {copy:7.2f} s;  lantian / COPY = {pg/copy:4.2f}x")
PY
