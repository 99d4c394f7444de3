//! Hourly values, their latest values and daily rollups, and sub-hourly raw readings.
//!
//! Reads of a range seek hour by hour (or day by day) on the primary key, which starts with the
//! hour: a recursive CTE enumerates the hours and `CROSS JOIN` makes SQLite loop over them and
//! seek, instead of scanning every station's rows of the range. The range is first clamped to
//! the first and latest hour stored for the series (kept in `latest_value`).

use crate::SqliteStore;
use crate::error::db;
use lantian_aq::{Date, Pollutant};
use lantian_domain::reading::{Origin, QualityFlags, RawReading};
use lantian_domain::station::Calibration;
use lantian_domain::{StationCode, Timestamp};
use lantian_store::backend::{
    self, DayPartial, Derived, HOUR_S, HourRow, LatestRow, SQLITE_MAX_BINDS,
};
use lantian_store::codec;
use lantian_store::{DailyRollup, HourlyValue, LatestValue, StoreError};
use sqlx::error::BoxDynError;
use sqlx::sqlite::{SqliteArguments, SqliteConnection};
use sqlx::{Arguments, AssertSqlSafe};
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::future::{Future, poll_fn};
use std::pin::pin;
use std::sync::{Arc, LazyLock};

/// A multi-row `INSERT` of `rows` rows of `cols` parameters: `head VALUES (?,…),… tail`.
fn values_sql(head: &str, cols: usize, rows: usize, tail: &str) -> String {
    let one = format!("({})", vec!["?"; cols].join(","));
    let mut s = String::with_capacity(head.len() + tail.len() + rows * (one.len() + 1) + 16);
    s.push_str(head);
    s.push_str(" VALUES ");
    for i in 0..rows {
        if i > 0 {
            s.push(',');
        }
        s.push_str(&one);
    }
    s.push(' ');
    s.push_str(tail);
    s
}

/// One kind of multi-row upsert: its SQL for a full chunk (built once, so sqlx's statement
/// cache sees one text and prepares it once) and how to bind one item.
struct Upsert<T: 'static> {
    head: &'static str,
    tail: &'static str,
    cols: usize,
    bind: fn(&mut SqliteArguments, &T) -> Result<(), BoxDynError>,
    full: LazyLock<Arc<str>>,
}

impl<T> Upsert<T> {
    fn rows_per_statement(&self) -> usize {
        SQLITE_MAX_BINDS / self.cols
    }

    /// The statement for `chunk` (at most [`Upsert::rows_per_statement`] items), bound.
    fn build(&self, chunk: &[T]) -> Result<Statement, sqlx::Error> {
        let mut args = SqliteArguments::default();
        args.reserve(chunk.len() * self.cols, 0);
        for it in chunk {
            (self.bind)(&mut args, it).map_err(sqlx::Error::Encode)?;
        }
        Ok(if chunk.len() == self.rows_per_statement() {
            Statement {
                sql: AssertSqlSafe(Arc::clone(&self.full)),
                args,
                cached: true,
            }
        } else {
            // The tail of a batch: a one-off length, not worth a cached prepared statement.
            let sql = values_sql(self.head, self.cols, chunk.len(), self.tail);
            Statement {
                sql: AssertSqlSafe(Arc::from(sql)),
                args,
                cached: false,
            }
        })
    }

    async fn run(&self, conn: &mut SqliteConnection, items: &[T]) -> Result<(), sqlx::Error> {
        for chunk in items.chunks(self.rows_per_statement()) {
            self.build(chunk)?.execute(conn).await?;
        }
        Ok(())
    }
}

/// A bound multi-row statement.
struct Statement {
    sql: AssertSqlSafe<Arc<str>>,
    args: SqliteArguments,
    cached: bool,
}

impl Statement {
    async fn execute(self, conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
        sqlx::query_with(self.sql, self.args)
            .persistent(self.cached)
            .execute(conn)
            .await?;
        Ok(())
    }
}

/// Run `fut` and, once it has been polled (so sqlx has handed the statement to its SQLite
/// worker thread), do `work` on this thread meanwhile: building the next statement overlaps
/// with executing this one, which uses the machine's second core.
async fn overlap<F: Future, T>(fut: F, work: impl FnOnce() -> T) -> (F::Output, Option<T>) {
    let mut fut = pin!(fut);
    let (mut work, mut done) = (Some(work), None);
    let out = poll_fn(|cx| {
        let polled = fut.as_mut().poll(cx);
        if let Some(w) = work.take() {
            done = Some(w());
        }
        polled
    })
    .await;
    (out, done)
}

macro_rules! upsert {
    ($head:expr, $cols:expr, $tail:expr, $bind:expr) => {
        Upsert {
            head: $head,
            tail: $tail,
            cols: $cols,
            bind: $bind,
            full: LazyLock::new(|| {
                Arc::from(values_sql($head, $cols, SQLITE_MAX_BINDS / $cols, $tail))
            }),
        }
    };
}

static HOURLY: Upsert<HourRow> = upsert!(
    "INSERT INTO hourly (ts, station, pollutant, raw, corrected, validated, flags, origin, \
     capture_valid, capture_expected)",
    10,
    "ON CONFLICT (ts, station, pollutant) DO UPDATE SET raw = excluded.raw, \
     corrected = excluded.corrected, validated = excluded.validated, flags = excluded.flags, \
     origin = excluded.origin, capture_valid = excluded.capture_valid, \
     capture_expected = excluded.capture_expected",
    |a, r| {
        a.add(r.ts)?;
        a.add(r.station)?;
        a.add(r.pollutant)?;
        a.add(r.raw)?;
        a.add(r.corrected)?;
        a.add(r.validated)?;
        a.add(r.flags)?;
        a.add(r.origin)?;
        a.add(r.capture_valid)?;
        a.add(r.capture_expected)
    }
);

/// Whether a row is "plain": what an hourly source (a file, an hourly message) delivers —
/// no corrected value, validated = raw unless flagged, capture 1/1. Such rows travel with
/// five parameters instead of ten.
fn is_plain(r: &HourRow) -> bool {
    r.corrected.is_none()
        && r.capture_valid == 1
        && r.capture_expected == 1
        && (r.flags != 0 || r.validated == r.raw)
        && (0..256).contains(&r.flags)
}

// The same upsert as HOURLY for plain rows: the other five columns are computed in SQL.
// Binding is a large part of the cost of an insert through sqlx, so halving it matters.
static HOURLY_PLAIN: Upsert<HourRow> = upsert!(
    "INSERT INTO hourly (ts, station, pollutant, raw, corrected, validated, flags, origin, \
     capture_valid, capture_expected) SELECT column1, column2, column3, column4, NULL, \
     CASE WHEN column5 & 255 = 0 THEN column4 END, column5 & 255, column5 >> 8, 1, 1 FROM (",
    5,
    ") WHERE true ON CONFLICT (ts, station, pollutant) DO UPDATE SET raw = excluded.raw, \
     corrected = excluded.corrected, validated = excluded.validated, flags = excluded.flags, \
     origin = excluded.origin, capture_valid = excluded.capture_valid, \
     capture_expected = excluded.capture_expected",
    |a, r| {
        a.add(r.ts)?;
        a.add(r.station)?;
        a.add(r.pollutant)?;
        a.add(r.raw)?;
        a.add(i32::from(r.flags) | i32::from(r.origin) << 8)
    }
);

/// Write sorted hourly rows — plain runs with [`HOURLY_PLAIN`], the others with [`HOURLY`] —
/// and derive their day partials and latest rows while the statements execute.
async fn write_rows(
    conn: &mut SqliteConnection,
    rows: &[HourRow],
) -> Result<(Vec<DayPartial>, Vec<LatestRow>), sqlx::Error> {
    let mut pieces: Vec<(&Upsert<HourRow>, &[HourRow])> = Vec::new();
    for chunk in rows.chunks(HOURLY_PLAIN.rows_per_statement()) {
        if chunk.iter().all(is_plain) {
            pieces.push((&HOURLY_PLAIN, chunk));
        } else {
            pieces.extend(
                chunk
                    .chunks(HOURLY.rows_per_statement())
                    .map(|c| (&HOURLY, c)),
            );
        }
    }
    let mut derived = Derived::new(rows);
    let mut prepare = |i: usize| -> Option<Result<Statement, sqlx::Error>> {
        let (upsert, chunk) = pieces.get(i)?;
        for r in *chunk {
            // Sorted and de-duplicated, so every row is newer than the last of its series.
            let _in_order = derived.add(r);
        }
        Some(upsert.build(chunk))
    };
    let mut next = prepare(0);
    let mut i = 0;
    while let Some(stmt) = next.take() {
        i += 1;
        let (result, built) = overlap(stmt?.execute(conn), || prepare(i)).await;
        result?;
        next = built.flatten();
    }
    Ok(derived.finish())
}

// Merge a batch's partials (lantian_store::backend): a partial holding every hour the rollup
// has counted replaces it; one whose hours are all new is added; any other overlap marks the
// rollup dirty, for RECOMPUTE_DIRTY.
static DAILY: Upsert<DayPartial> = upsert!(
    "INSERT INTO daily_rollup (day, station, pollutant, hours, n_valid, sum, min, max)",
    8,
    "ON CONFLICT (day, station, pollutant) DO UPDATE SET \
     hours = daily_rollup.hours | excluded.hours, \
     dirty = CASE WHEN daily_rollup.hours & ~excluded.hours = 0 \
               OR daily_rollup.hours & excluded.hours = 0 THEN daily_rollup.dirty ELSE 1 END, \
     n_valid = CASE WHEN daily_rollup.hours & ~excluded.hours = 0 THEN excluded.n_valid \
               ELSE daily_rollup.n_valid + excluded.n_valid END, \
     sum = CASE WHEN daily_rollup.hours & ~excluded.hours = 0 THEN excluded.sum \
           ELSE daily_rollup.sum + excluded.sum END, \
     min = CASE WHEN daily_rollup.hours & ~excluded.hours = 0 THEN excluded.min \
           WHEN excluded.min IS NULL OR daily_rollup.min < excluded.min \
           THEN daily_rollup.min ELSE excluded.min END, \
     max = CASE WHEN daily_rollup.hours & ~excluded.hours = 0 THEN excluded.max \
           WHEN excluded.max IS NULL OR daily_rollup.max > excluded.max \
           THEN daily_rollup.max ELSE excluded.max END",
    |a, d| {
        a.add(d.day)?;
        a.add(d.station)?;
        a.add(d.pollutant)?;
        a.add(d.hours)?;
        a.add(d.n_valid)?;
        a.add(d.sum)?;
        a.add(d.min)?;
        a.add(d.max)
    }
);

static LATEST: Upsert<LatestRow> = upsert!(
    "INSERT INTO latest_value (station, pollutant, first_ts, ts, raw, corrected, validated, \
     flags, origin)",
    9,
    "ON CONFLICT (station, pollutant) DO UPDATE SET \
     first_ts = min(latest_value.first_ts, excluded.first_ts), \
     ts = CASE WHEN excluded.ts >= latest_value.ts THEN excluded.ts ELSE latest_value.ts END, \
     raw = CASE WHEN excluded.ts >= latest_value.ts THEN excluded.raw ELSE latest_value.raw END, \
     corrected = CASE WHEN excluded.ts >= latest_value.ts \
                 THEN excluded.corrected ELSE latest_value.corrected END, \
     validated = CASE WHEN excluded.ts >= latest_value.ts \
                 THEN excluded.validated ELSE latest_value.validated END, \
     flags = CASE WHEN excluded.ts >= latest_value.ts \
             THEN excluded.flags ELSE latest_value.flags END, \
     origin = CASE WHEN excluded.ts >= latest_value.ts \
              THEN excluded.origin ELSE latest_value.origin END",
    |a, l| {
        a.add(l.row.station)?;
        a.add(l.row.pollutant)?;
        a.add(l.first_ts)?;
        a.add(l.row.ts)?;
        a.add(l.row.raw)?;
        a.add(l.row.corrected)?;
        a.add(l.row.validated)?;
        a.add(l.row.flags)?;
        a.add(l.row.origin)
    }
);

/// A raw reading in column form.
#[derive(Debug, Clone, Copy)]
struct RawRow {
    station: i32,
    pollutant: i16,
    interval_s: i32,
    ts: i64,
    value: f64,
    origin: i16,
}

static RAW: Upsert<RawRow> = upsert!(
    "INSERT INTO raw_readings (station, pollutant, interval_s, ts, value, origin)",
    6,
    "ON CONFLICT (station, pollutant, interval_s, ts) DO UPDATE SET value = excluded.value, \
     origin = excluded.origin",
    |a, r| {
        a.add(r.station)?;
        a.add(r.pollutant)?;
        a.add(r.interval_s)?;
        a.add(r.ts)?;
        a.add(r.value)?;
        a.add(r.origin)
    }
);

/// Recompute the rollups marked dirty from the hourly table: 24 primary-key seeks each.
static RECOMPUTE_DIRTY: LazyLock<String> = LazyLock::new(|| {
    let hours: Vec<String> = (0..24)
        .map(|k| format!("daily_rollup.day * 86400 - 28800 + {}", (k + 1) * HOUR_S))
        .collect();
    format!(
        "UPDATE daily_rollup SET (n_valid, sum, min, max, dirty) = (\
         SELECT count(h.validated), total(h.validated), min(h.validated), max(h.validated), 0 \
         FROM hourly h WHERE h.ts IN ({}) AND h.station = daily_rollup.station \
         AND h.pollutant = daily_rollup.pollutant) WHERE dirty = 1",
        hours.join(", ")
    )
});

/// Recompute the dirty rollups of one day (`?1`) from one scan of that day's hourly rows:
/// cheaper than 24 seeks per rollup once many rollups of the day are dirty (a re-import in
/// batches that do not follow day boundaries). The day's statistics go through a keyed
/// temporary table because SQLite would scan an unindexed subquery once per updated row.
const DAY_STATS: [&str; 3] = [
    "CREATE TEMP TABLE IF NOT EXISTS day_stats (station INTEGER NOT NULL, \
     pollutant INTEGER NOT NULL, n INTEGER NOT NULL, total REAL NOT NULL, lo REAL, hi REAL, \
     PRIMARY KEY (station, pollutant)) WITHOUT ROWID",
    "DELETE FROM day_stats",
    "INSERT INTO day_stats SELECT station, pollutant, count(validated), total(validated), \
     min(validated), max(validated) FROM hourly \
     WHERE ts > ?1 * 86400 - 28800 AND ts <= ?1 * 86400 - 28800 + 86400 \
     GROUP BY station, pollutant",
];
const RECOMPUTE_DAY: &str = "UPDATE daily_rollup SET (n_valid, sum, min, max, dirty) = (\
     SELECT s.n, s.total, s.lo, s.hi, 0 FROM day_stats s \
     WHERE s.station = daily_rollup.station AND s.pollutant = daily_rollup.pollutant) \
     WHERE day = ?1 AND dirty = 1";

/// Whether to recompute a day's dirty rollups with one scan of the day rather than 24 seeks
/// each: when many are dirty, and a good share of the day's rollups (a scan reads every series
/// of the day; a seek costs a few row reads).
fn scan_day(dirty: i64, all: i64) -> bool {
    dirty >= 64 && dirty * 4 >= all
}

async fn recompute_dirty(conn: &mut SqliteConnection) -> Result<(), sqlx::Error> {
    let days: Vec<(i32, i64, i64)> = sqlx::query_as(
        "SELECT day, count(*) FILTER (WHERE dirty = 1), count(*) FROM daily_rollup \
         WHERE day IN (SELECT DISTINCT day FROM daily_rollup WHERE dirty = 1) GROUP BY day",
    )
    .fetch_all(&mut *conn)
    .await?;
    for (day, ..) in days.iter().filter(|d| scan_day(d.1, d.2)) {
        for sql in DAY_STATS {
            sqlx::query(sql).bind(day).execute(&mut *conn).await?;
        }
        sqlx::query(RECOMPUTE_DAY)
            .bind(day)
            .execute(&mut *conn)
            .await?;
    }
    if days.iter().any(|d| !scan_day(d.1, d.2)) {
        sqlx::query(AssertSqlSafe(RECOMPUTE_DIRTY.as_str()))
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// Merge day partials into the rollups, recompute the ones that overlapped, and move the latest
/// values on, inside the caller's transaction.
async fn write_derived(
    conn: &mut SqliteConnection,
    days: &[DayPartial],
    latest: &[LatestRow],
) -> Result<(), sqlx::Error> {
    DAILY.run(conn, days).await?;
    recompute_dirty(conn).await?;
    LATEST.run(conn, latest).await?;
    Ok(())
}

impl SqliteStore {
    /// Make sure the id cache knows every code of `codes` that exists.
    async fn load_station_ids<'a>(
        &self,
        mut codes: impl Iterator<Item = &'a StationCode>,
    ) -> Result<(), StoreError> {
        let missing = {
            let ids = self.station_ids.read().unwrap_or_else(|e| e.into_inner());
            // A station's values usually come together: look each run of one code up once.
            let mut last = None;
            codes.any(|c| {
                let new = last != Some(c);
                last = Some(c);
                new && !ids.contains_key(c)
            })
        };
        if missing {
            let rows: Vec<(String, i32)> = sqlx::query_as("SELECT code, id FROM stations")
                .fetch_all(&self.pool)
                .await
                .map_err(db("stations"))?;
            let mut ids = HashMap::with_capacity(rows.len());
            for (code, id) in rows {
                ids.insert(
                    codec::decode_id("station code", &code, StationCode::parse)?,
                    id,
                );
            }
            *self.station_ids.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(ids);
        }
        Ok(())
    }

    fn station_id(&self, code: &StationCode) -> Option<i32> {
        self.station_ids
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(code)
            .copied()
    }

    async fn find_station(&self, code: &StationCode) -> Result<Option<i32>, StoreError> {
        self.load_station_ids(std::iter::once(code)).await?;
        Ok(self.station_id(code))
    }

    fn prepare(&self, values: &[HourlyValue]) -> Result<Vec<HourRow>, StoreError> {
        let ids = self.station_ids.read().unwrap_or_else(|e| e.into_inner());
        backend::prepare_rows(values, |c| ids.get(c).copied())
    }
}

/// Write `values` in the caller's transaction, streaming: while SQLite executes one statement
/// (on sqlx's worker thread), this thread converts and binds the next chunk and feeds the
/// derived tables' builder, so the two cores work at once. That needs each series' values in
/// increasing time without repeats (any order across stations), which file imports and
/// hour-by-hour feeds deliver. At the first value that breaks it, the rows written so far are
/// simply written again, sorted and de-duplicated: an upsert of the same rows changes nothing,
/// and the derived tables are only written afterwards.
async fn write_values(
    conn: &mut SqliteConnection,
    values: &[HourlyValue],
    ids: &HashMap<StationCode, i32>,
) -> Result<(Vec<DayPartial>, Vec<LatestRow>, usize), StoreError> {
    const E: &str = "hourly values";
    let lookup = |c: &StationCode| ids.get(c).copied();
    let max_station = ids.values().copied().max().unwrap_or(0);
    let mut derived = Derived::with_max_station(max_station);
    let mut last_code = None::<(&StationCode, i32)>;
    let mut written = 0usize;
    let chunks: Vec<&[HourlyValue]> = values.chunks(HOURLY_PLAIN.rows_per_statement()).collect();
    // Converts chunk `i` into its statements; `None` when a value is out of order.
    let mut produce = |i: usize| -> Result<Option<Vec<Statement>>, StoreError> {
        let mut rows = Vec::with_capacity(chunks[i].len());
        for v in chunks[i] {
            let station = match last_code {
                Some((code, id)) if code == &v.station => id,
                _ => {
                    let id = lookup(&v.station).ok_or_else(|| StoreError::NotFound {
                        entity: "station",
                        key: v.station.to_string(),
                    })?;
                    last_code = Some((&v.station, id));
                    id
                }
            };
            let row = HourRow::new(v, station)?;
            if !derived.add(&row) {
                return Ok(None);
            }
            rows.push(row);
        }
        written += rows.len();
        let stmts = if rows.iter().all(is_plain) {
            vec![HOURLY_PLAIN.build(&rows)]
        } else {
            rows.chunks(HOURLY.rows_per_statement())
                .map(|c| HOURLY.build(c))
                .collect()
        };
        stmts
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
            .map_err(db(E))
    };
    let mut queue: VecDeque<Statement> = VecDeque::new();
    let mut in_order = true;
    if !chunks.is_empty() {
        match produce(0)? {
            Some(stmts) => queue.extend(stmts),
            None => in_order = false,
        }
    }
    let mut next = 1;
    while let Some(stmt) = queue.pop_front() {
        let more = queue.is_empty() && next < chunks.len();
        let (result, produced) = overlap(stmt.execute(conn), || more.then(|| produce(next))).await;
        result.map_err(db(E))?;
        if let Some(produced) = produced.flatten() {
            next += 1;
            match produced? {
                Some(stmts) => queue.extend(stmts),
                None => {
                    in_order = false;
                    break;
                }
            }
        }
    }
    if in_order {
        let (days, latest) = derived.finish();
        return Ok((days, latest, written));
    }
    let rows = backend::prepare_rows(values, lookup)?;
    let (days, latest) = write_rows(conn, &rows).await.map_err(db(E))?;
    Ok((days, latest, rows.len()))
}

pub(crate) async fn write_hourly(
    st: &SqliteStore,
    values: &[HourlyValue],
) -> Result<u64, StoreError> {
    const E: &str = "hourly values";
    if values.is_empty() {
        return Ok(0);
    }
    st.load_station_ids(values.iter().map(|v| &v.station))
        .await?;
    // A snapshot, not the lock: a std lock guard may not be held across the awaits below.
    let ids = Arc::clone(&st.station_ids.read().unwrap_or_else(|e| e.into_inner()));
    let mut tx = st.begin(E).await?;
    let (days, latest, n) = write_values(&mut tx, values, &ids).await?;
    write_derived(&mut tx, &days, &latest)
        .await
        .map_err(db(E))?;
    crate::bump_revision(&mut tx).await.map_err(db(E))?;
    tx.commit().await.map_err(db(E))?;
    Ok(n as u64)
}

pub(crate) async fn upsert_raw(
    st: &SqliteStore,
    readings: &[RawReading],
    origin: Origin,
    interval_s: u32,
) -> Result<u64, StoreError> {
    const E: &str = "raw readings";
    backend::check_interval(interval_s)?;
    readings.iter().try_for_each(backend::check_raw)?;
    if readings.is_empty() {
        return Ok(0);
    }
    st.load_station_ids(readings.iter().map(|r| &r.station))
        .await?;
    let mut rows = Vec::with_capacity(readings.len());
    // (station id, pollutant) → (code, pollutant, hours touched)
    let mut touched: BTreeMap<(i32, i16), (&StationCode, Pollutant, BTreeSet<i64>)> =
        BTreeMap::new();
    for r in readings {
        let station = st
            .station_id(&r.station)
            .ok_or_else(|| StoreError::NotFound {
                entity: "station",
                key: r.station.to_string(),
            })?;
        let pollutant = codec::pollutant_id(r.pollutant);
        rows.push(RawRow {
            station,
            pollutant,
            interval_s: interval_s as i32,
            ts: r.ts.0,
            value: r.value,
            origin: codec::origin_id(origin),
        });
        touched
            .entry((station, pollutant))
            .or_insert_with(|| (&r.station, r.pollutant, BTreeSet::new()))
            .2
            .insert(backend::hour_containing(r.ts.0));
    }
    let mut tx = st.begin(E).await?;
    RAW.run(&mut tx, &rows).await.map_err(db(E))?;
    let mut hours = Vec::new();
    for ((station, pollutant), (code, p, set)) in &touched {
        let (Some(&first), Some(&last)) = (set.first(), set.last()) else {
            continue;
        };
        let stored: Vec<(i64, f64)> = sqlx::query_as(
            "SELECT ts, value FROM raw_readings WHERE station = ? AND pollutant = ? \
             AND interval_s = ? AND ts > ? AND ts <= ? ORDER BY ts",
        )
        .bind(station)
        .bind(pollutant)
        .bind(interval_s as i32)
        .bind(first - HOUR_S)
        .bind(last)
        .fetch_all(&mut *tx)
        .await
        .map_err(db(E))?;
        let cals: Vec<(i64, f64, f64)> = sqlx::query_as(
            "SELECT since, slope, intercept FROM calibrations WHERE station = ? AND pollutant = ? \
             ORDER BY since",
        )
        .bind(station)
        .bind(pollutant)
        .fetch_all(&mut *tx)
        .await
        .map_err(db(E))?;
        for &h in set {
            let values: Vec<f64> = stored
                .iter()
                .filter(|(ts, _)| *ts > h - HOUR_S && *ts <= h)
                .map(|r| r.1)
                .collect();
            let cal = cals
                .iter()
                .rev()
                .find(|c| c.0 <= h)
                .map(|&(since, slope, offset)| Calibration {
                    pollutant: *p,
                    slope,
                    offset,
                    since: Timestamp(since),
                });
            hours.push(backend::hour_from_raw(
                code,
                *p,
                Timestamp(h),
                &values,
                interval_s,
                cal.as_ref(),
                origin,
            ));
        }
    }
    let rows = st.prepare(&hours)?;
    let (days, latest) = write_rows(&mut tx, &rows).await.map_err(db(E))?;
    write_derived(&mut tx, &days, &latest)
        .await
        .map_err(db(E))?;
    crate::bump_revision(&mut tx).await.map_err(db(E))?;
    tx.commit().await.map_err(db(E))?;
    Ok(hours.len() as u64)
}

/// The first and latest hour stored for a series, if any.
async fn series_bounds(
    st: &SqliteStore,
    station: i32,
    pollutant: Pollutant,
) -> Result<Option<(i64, i64)>, StoreError> {
    sqlx::query_as("SELECT first_ts, ts FROM latest_value WHERE station = ? AND pollutant = ?")
        .bind(station)
        .bind(codec::pollutant_id(pollutant))
        .fetch_optional(&st.pool)
        .await
        .map_err(db("latest values"))
}

type HourlyRow = (
    i64,
    Option<f64>,
    Option<f64>,
    Option<f64>,
    i64,
    i64,
    i64,
    i64,
);

pub(crate) async fn hourly(
    st: &SqliteStore,
    station: &StationCode,
    pollutant: Pollutant,
    from: Timestamp,
    to: Timestamp,
) -> Result<Vec<HourlyValue>, StoreError> {
    let Some(id) = st.find_station(station).await? else {
        return Ok(vec![]);
    };
    let Some((first, latest)) = series_bounds(st, id, pollutant).await? else {
        return Ok(vec![]);
    };
    let from = backend::hour_containing(from.0).max(first);
    let to = (to.0.div_euclid(HOUR_S) * HOUR_S).min(latest);
    if from > to {
        return Ok(vec![]);
    }
    let rows: Vec<HourlyRow> = sqlx::query_as(
        "WITH RECURSIVE h(ts) AS (SELECT ?1 UNION ALL SELECT ts + 3600 FROM h WHERE ts < ?2) \
         SELECT v.ts, v.raw, v.corrected, v.validated, v.flags, v.origin, v.capture_valid, \
         v.capture_expected FROM h CROSS JOIN hourly v \
         ON v.ts = h.ts AND v.station = ?3 AND v.pollutant = ?4 ORDER BY v.ts",
    )
    .bind(from)
    .bind(to)
    .bind(id)
    .bind(codec::pollutant_id(pollutant))
    .fetch_all(&st.pool)
    .await
    .map_err(db("hourly values"))?;
    rows.into_iter()
        .map(|(ts, raw, corrected, validated, flags, origin, cv, ce)| {
            Ok(HourlyValue {
                station: station.clone(),
                pollutant,
                hour: Timestamp(ts),
                raw,
                corrected,
                validated,
                flags: QualityFlags(flags as u8),
                origin: codec::origin_from_id(origin)?,
                capture: (cv as u16, ce as u16),
            })
        })
        .collect()
}

type LatestDbRow = (i64, i64, Option<f64>, Option<f64>, Option<f64>, i64, i64);

pub(crate) async fn latest(
    st: &SqliteStore,
    station: &StationCode,
) -> Result<Vec<LatestValue>, StoreError> {
    let Some(id) = st.find_station(station).await? else {
        return Ok(vec![]);
    };
    let rows: Vec<LatestDbRow> = sqlx::query_as(
        "SELECT pollutant, ts, raw, corrected, validated, flags, origin FROM latest_value \
         WHERE station = ? ORDER BY pollutant",
    )
    .bind(id)
    .fetch_all(&st.pool)
    .await
    .map_err(db("latest values"))?;
    rows.into_iter()
        .map(|(p, ts, raw, corrected, validated, flags, origin)| {
            Ok(LatestValue {
                station: station.clone(),
                pollutant: codec::pollutant_from_id(p)?,
                hour: Timestamp(ts),
                raw,
                corrected,
                validated,
                flags: QualityFlags(flags as u8),
                origin: codec::origin_from_id(origin)?,
            })
        })
        .collect()
}

/// day, hours, n_valid, sum, min, max
type DailyRow = (i32, i64, i64, f64, Option<f64>, Option<f64>);

pub(crate) async fn daily(
    st: &SqliteStore,
    station: &StationCode,
    pollutant: Pollutant,
    from: Date,
    to: Date,
) -> Result<Vec<DailyRollup>, StoreError> {
    let Some(id) = st.find_station(station).await? else {
        return Ok(vec![]);
    };
    let Some((first, latest)) = series_bounds(st, id, pollutant).await? else {
        return Ok(vec![]);
    };
    let from = from.days().max(backend::day_of_hour(first));
    let to = to.days().min(backend::day_of_hour(latest));
    if from > to {
        return Ok(vec![]);
    }
    let rows: Vec<DailyRow> = sqlx::query_as(
        "WITH RECURSIVE d(day) AS (SELECT ?1 UNION ALL SELECT day + 1 FROM d WHERE day < ?2) \
         SELECT r.day, r.hours, r.n_valid, r.sum, r.min, r.max FROM d CROSS JOIN daily_rollup r \
         ON r.day = d.day AND r.station = ?3 AND r.pollutant = ?4 ORDER BY r.day",
    )
    .bind(from)
    .bind(to)
    .bind(id)
    .bind(codec::pollutant_id(pollutant))
    .fetch_all(&st.pool)
    .await
    .map_err(db("daily rollups"))?;
    Ok(rows
        .into_iter()
        .map(|(day, hours, n_valid, sum, min, max)| DailyRollup {
            station: station.clone(),
            pollutant,
            day: Date::from_days(day),
            n_hours: (hours as u32 & 0xFF_FFFF).count_ones() as u8,
            n_valid: n_valid as u8,
            sum,
            min,
            max,
        })
        .collect())
}
