//! `lantian-store-postgres` — Lantian's store on PostgreSQL (a URL), behind
//! [`lantian_store::Store`], for districts that outgrow one file or want several servers.
//!
//! # Invariant
//! Every write is one transaction, and every hourly write updates `latest_value` and
//! `daily_rollup` inside it: a reader sees the hourly values and their derived tables of the
//! same commit. The schema is the migrations of `migrations/`, run on connect; migrations are
//! only ever added.
//! The problem ledger and the audit log (`lantian_store::ledger::LedgerStore`, module `ledger`,
//! migration `0002_ledger.sql`) follow the same rule: a transition, its log entry, the moved
//! `audit_head` (locked `FOR UPDATE`, so appends serialise) and its notifications commit
//! together; `audit_log` refuses UPDATE, DELETE and TRUNCATE by trigger.
//!
//! # Speed
//! [`Store::import_hourly`] streams the batch with binary `COPY … FROM STDIN`: straight into
//! `hourly` when nothing is stored at or after the batch's last hour (an import moving forward;
//! inside a savepoint, so a row that exists after all only costs a second try), else into a
//! temporary staging table moved by one `INSERT … SELECT … ON CONFLICT DO UPDATE` (on this
//! server `ON CONFLICT` doubles the cost of a row). `upsert_hourly` (small, frequent batches:
//! MQTT) sends the batch as ten arrays in one `INSERT … SELECT FROM UNNEST(…)`. Both merge
//! rollups from per-batch partials computed in Rust (`lantian_store::backend`), sent as arrays;
//! `latest_value` and `daily_rollup` leave room on their pages (fillfactor) for HOT updates.
//!
//! Measured (release, ≈ 2 M synthetic values, PostgreSQL 15 on this 2-core machine, default server
//! settings): `import_hourly` 0.17 M values/s in batches of 100 000, 0.25–0.30 M in one-day
//! batches, 0.39–0.44 M in one batch; a plain binary `COPY` of the same rows into the bare table
//! ran at 0.32–0.41 M rows/s. Every row's index insert and WAL dominate; the per-batch rollup and
//! latest-value upserts cost ~5–9 µs per row on this server, hence the large batches.

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
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::collections::HashMap;
use std::sync::RwLock;

/// The store on one PostgreSQL database.
#[derive(Debug)]
pub struct PgStore {
    pool: PgPool,
    /// Station code → internal id. Ids never change once given (stations are upserted by code
    /// and never deleted), so entries never go stale; a miss reloads the map.
    station_ids: RwLock<HashMap<StationCode, i32>>,
}

impl PgStore {
    /// Connect to `url` (`postgres://user@host:5432/db`) and bring the schema up to date.
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        let opts: PgConnectOptions = url
            .parse()
            .map_err(|e| StoreError::Backend(format!("PostgreSQL URL {url:?}: {e}")))?;
        PgStore::connect_with(opts).await
    }

    /// Connect with explicit options and bring the schema up to date.
    pub async fn connect_with(opts: PgConnectOptions) -> Result<PgStore, StoreError> {
        let what = format!(
            "{}:{}/{}",
            opts.get_host(),
            opts.get_port(),
            opts.get_database().unwrap_or("")
        );
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .connect_with(opts)
            .await
            .map_err(|e| StoreError::Backend(format!("connecting to PostgreSQL at {what}: {e}")))?;
        sqlx::migrate!("./migrations")
            .run(&pool)
            .await
            .map_err(|e| StoreError::Backend(format!("migrating the PostgreSQL schema: {e}")))?;
        Ok(PgStore {
            pool,
            station_ids: RwLock::new(HashMap::new()),
        })
    }

    /// The connection pool, for callers that need SQL this crate does not offer (reports).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Close every connection. The store is unusable afterwards.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    async fn begin(
        &self,
        entity: &'static str,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, StoreError> {
        self.pool.begin().await.map_err(db(entity))
    }
}

impl Store for PgStore {
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
        readings::import_hourly(self, values).await
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
pub(crate) async fn bump_revision(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE data_revision SET rev = rev + 1 WHERE id = 1")
        .execute(conn)
        .await
        .map(|_| ())
}

/// `sql` with each `?` numbered `$1`, `$2`, … in order, for the code shared with the SQLite
/// backend (its statements contain no other `?`).
pub(crate) fn numbered_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for ch in sql.chars() {
        if ch == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(ch);
        }
    }
    out
}
