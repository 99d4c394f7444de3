//! `lantian-store-sqlite` — Lantian's default store: one SQLite file in WAL mode, behind
//! [`lantian_store::Store`].
//!
//! # Invariant
//! Every write is one `BEGIN IMMEDIATE` transaction (so a writer never fails half-way on a lock
//! upgrade), and every hourly write updates `latest_value` and `daily_rollup` inside it: a
//! reader sees the hourly values and their derived tables of the same commit. The schema is
//! the migrations of `migrations/`, run on open; migrations are only ever added.
//! The problem ledger and the audit log (`lantian_store::ledger::LedgerStore`, module `ledger`,
//! migration `0002_ledger.sql`) follow the same rule: a transition, its log entry, the moved
//! `audit_head` and its notifications commit together; `audit_log` refuses UPDATE and DELETE by
//! trigger.
//!
//! # Speed
//! The hot path is [`Store::import_hourly`] (the same code as `upsert_hourly`):
//! - the hourly table's key starts with the hour, the order values arrive in, so inserts
//!   append to the b-tree (STACK.md §5, pitfall 19);
//! - rows go in multi-row `INSERT … ON CONFLICT DO UPDATE` statements at SQLite's 32 766-bind
//!   limit, each text built once so sqlx prepares it once; rows as a file delivers them (no
//!   correction, validated = raw unless flagged, capture 1/1) travel with 5 binds instead of 10;
//! - while SQLite executes one statement on sqlx's worker thread, this thread converts and binds
//!   the next one and computes the rollup partials, so both cores work (values must come in
//!   time order per series; otherwise the batch is sorted first, still correct);
//! - rollups are merged from per-batch partials computed in Rust (`lantian_store::backend`),
//!   never recomputed by scanning the hourly table except for the hours a batch corrects;
//! - new files get 16 KiB pages (measured +25 % over 4 KiB); connections run with
//!   `journal_mode=WAL`, `synchronous=NORMAL`, a 256 MiB page cache, in-memory temp storage and
//!   a WAL checkpoint every 16 384 pages instead of 1 000.
//!
//! Measured (release, 2 000 stations × 170 h × 6 pollutants ≈ 2 M values, this 2-core machine):
//! 0.66 M values/s in batches of 100 000, 0.90–1.0 M in one-day batches, 1.26–1.44 M in one batch;
//! `sqlite3 .import` of the same rows as CSV took 7.2 s (0.28 M rows/s).

mod accounts;
mod bulk;
mod cities;
mod error;
mod inspections;
mod ledger;
mod meta;
mod readings;
mod records;

use error::db;
use lantian_aq::{Date, Pollutant};
use lantian_domain::org::{Person, Unit};
use lantian_domain::reading::{Origin, RawReading};
use lantian_domain::region::{Region, Responsibility};
use lantian_domain::source::Source;
use lantian_domain::station::Station;
use lantian_domain::target::Target;
use lantian_domain::{StationCode, Timestamp};
use lantian_store::{
    CityItem, CityValue, DailyRollup, HourlyValue, LatestValue, SourceFilter, Store, StoreError,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// The store on one SQLite database.
#[derive(Debug)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Station code → internal id. Ids never change once given (stations are upserted by code
    /// and never deleted), so entries never go stale; a miss reloads the map.
    /// Shared behind an `Arc` so a write can keep a snapshot across awaits.
    station_ids: RwLock<Arc<HashMap<StationCode, i32>>>,
    /// Read-only rusqlite connections on the same file for the audit walk's bulk reads
    /// (`bulk`); none for an in-memory database.
    readers: Option<Arc<bulk::Readers>>,
}

fn options() -> SqliteConnectOptions {
    SqliteConnectOptions::new()
        .foreign_keys(true)
        .synchronous(SqliteSynchronous::Normal)
        .busy_timeout(Duration::from_secs(30))
        // Negative = KiB: 256 MiB, so the b-tree pages an import touches stay in memory.
        .pragma("cache_size", "-262144")
        .pragma("temp_store", "MEMORY")
        // Checkpoint every ~64 MiB of WAL instead of 4 MiB: an import batch is several MiB, and
        // pages re-dirtied by the next batch (rollups, latest values, the b-tree's right edge)
        // are then copied to the database once instead of once per batch.
        .pragma("wal_autocheckpoint", "16384")
        // 16 KiB pages (for new files): a 2 M-value import ran 25 % faster than with 4 KiB
        // (fewer b-tree splits and levels); 64 KiB gained little more and costs random reads.
        .page_size(16384)
}

impl SqliteStore {
    /// Open (creating it if missing) the database file at `path`, in WAL mode, and bring its
    /// schema up to date.
    pub async fn open(path: impl AsRef<Path>) -> Result<SqliteStore, StoreError> {
        let path = path.as_ref();
        let opts = options()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal);
        // The first connection to a NEW file switches it to WAL, which needs the file's lock
        // before the busy timeout applies: a second opener of the same new file can get
        // SQLITE_BUSY ("database is locked", code 5) at once. That is retried, briefly.
        let mut busy = 0;
        let pool = loop {
            match SqlitePoolOptions::new()
                .max_connections(4)
                .connect_with(opts.clone())
                .await
            {
                Ok(p) => break p,
                Err(sqlx::Error::Database(d)) if d.code().as_deref() == Some("5") && busy < 50 => {
                    busy += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(e) => {
                    return Err(StoreError::Backend(format!(
                        "opening {}: {e}",
                        path.display()
                    )));
                }
            }
        };
        let mut store = SqliteStore::with_pool(pool).await?;
        store.readers = Some(bulk::Readers::new(path.to_path_buf()));
        Ok(store)
    }

    /// A fresh in-memory database (tests). One connection, kept open: the database lives as
    /// long as the store.
    pub async fn memory() -> Result<SqliteStore, StoreError> {
        let opts = options().in_memory(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(opts)
            .await
            .map_err(|e| StoreError::Backend(format!("opening an in-memory database: {e}")))?;
        SqliteStore::with_pool(pool).await
    }

    async fn with_pool(pool: SqlitePool) -> Result<SqliteStore, StoreError> {
        // sqlx takes no migration lock on SQLite: two processes opening the same new file
        // (an import and a reader) can both try to apply a migration. Each migration is one
        // transaction and the loser's fails only after the winner committed it ("table …
        // already exists"), so one more run sees it applied (a loser may lose once per migration).
        let mut attempt = 0;
        loop {
            match sqlx::migrate!("./migrations").run(&pool).await {
                Ok(()) => break,
                Err(_) if attempt < 10 => attempt += 1,
                Err(e) => {
                    return Err(StoreError::Backend(format!(
                        "migrating the SQLite schema: {e}"
                    )));
                }
            }
        }
        Ok(SqliteStore {
            pool,
            station_ids: RwLock::new(Arc::new(HashMap::new())),
            readers: None,
        })
    }

    /// The connection pool, for callers that need SQL this crate does not offer (reports).
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Close every connection (checkpointing the WAL). The store is unusable afterwards.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn begin(
        &self,
        entity: &'static str,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, StoreError> {
        self.pool
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(db(entity))
    }
}

impl Store for SqliteStore {
    async fn upsert_regions(&self, regions: &[Region]) -> Result<(), StoreError> {
        meta::upsert_regions(self, regions).await
    }

    async fn regions(&self) -> Result<Vec<Region>, StoreError> {
        meta::regions(self).await
    }

    async fn upsert_responsibilities(&self, r: &[Responsibility]) -> Result<(), StoreError> {
        meta::upsert_responsibilities(self, r).await
    }

    async fn responsibilities(&self) -> Result<Vec<Responsibility>, StoreError> {
        meta::responsibilities(self).await
    }

    async fn upsert_units(&self, units: &[Unit]) -> Result<(), StoreError> {
        meta::upsert_units(self, units).await
    }

    async fn units(&self) -> Result<Vec<Unit>, StoreError> {
        meta::units(self).await
    }

    async fn upsert_people(&self, people: &[Person]) -> Result<(), StoreError> {
        meta::upsert_people(self, people).await
    }

    async fn people(&self) -> Result<Vec<Person>, StoreError> {
        meta::people(self).await
    }

    async fn upsert_stations(&self, stations: &[Station]) -> Result<(), StoreError> {
        meta::upsert_stations(self, stations).await
    }

    async fn stations(&self) -> Result<Vec<Station>, StoreError> {
        meta::stations(self, None).await
    }

    async fn station(&self, code: &StationCode) -> Result<Option<Station>, StoreError> {
        Ok(meta::stations(self, Some(code)).await?.pop())
    }

    async fn upsert_sources(&self, sources: &[Source]) -> Result<(), StoreError> {
        meta::upsert_sources(self, sources).await
    }

    async fn sources(&self, filter: &SourceFilter) -> Result<Vec<Source>, StoreError> {
        meta::sources(self, filter).await
    }

    async fn upsert_targets(&self, targets: &[Target]) -> Result<(), StoreError> {
        meta::upsert_targets(self, targets).await
    }

    async fn targets(&self, year: i32) -> Result<Vec<Target>, StoreError> {
        meta::targets(self, year).await
    }

    async fn upsert_hourly(&self, values: &[HourlyValue]) -> Result<u64, StoreError> {
        readings::write_hourly(self, values).await
    }

    async fn import_hourly(&self, values: &[HourlyValue]) -> Result<u64, StoreError> {
        // Deliberately the same path: on SQLite the fast path IS the normal path.
        readings::write_hourly(self, values).await
    }

    async fn upsert_raw(
        &self,
        readings: &[RawReading],
        origin: Origin,
        interval_s: u32,
    ) -> Result<u64, StoreError> {
        readings::upsert_raw(self, readings, origin, interval_s).await
    }

    async fn hourly(
        &self,
        station: &StationCode,
        pollutant: Pollutant,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<HourlyValue>, StoreError> {
        readings::hourly(self, station, pollutant, from, to).await
    }

    async fn latest(&self, station: &StationCode) -> Result<Vec<LatestValue>, StoreError> {
        readings::latest(self, station).await
    }

    async fn daily(
        &self,
        station: &StationCode,
        pollutant: Pollutant,
        from: Date,
        to: Date,
    ) -> Result<Vec<DailyRollup>, StoreError> {
        readings::daily(self, station, pollutant, from, to).await
    }

    async fn data_revision(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT rev FROM data_revision WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(db("data revision"))?;
        Ok(n as u64)
    }

    async fn count_hourly(&self) -> Result<u64, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM hourly")
            .fetch_one(&self.pool)
            .await
            .map_err(db("hourly values"))?;
        Ok(n as u64)
    }

    async fn upsert_city_values(&self, values: &[CityValue]) -> Result<u64, StoreError> {
        cities::upsert(self, values).await
    }

    async fn city_values(
        &self,
        city: &str,
        item: CityItem,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<CityValue>, StoreError> {
        cities::read(self, city, item, from, to).await
    }

    async fn count_city_values(&self) -> Result<u64, StoreError> {
        cities::count(self).await
    }
}

/// Increase the data revision (migration `0007_revisions.sql`) inside the caller's write
/// transaction, so the new revision commits with the data it stands for
/// ([`lantian_store::Store::data_revision`]).
pub(crate) async fn bump_revision(conn: &mut sqlx::SqliteConnection) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE data_revision SET rev = rev + 1 WHERE id = 1")
        .execute(conn)
        .await
        .map(|_| ())
}
